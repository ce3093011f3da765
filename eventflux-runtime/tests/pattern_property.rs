//! Property: for random small streams, the pattern and sequence operators produce exactly the
//! matches of a brute-force reference matcher written here, for `->` and `,` with and without
//! `every` and `within`.

use eventflux_runtime::{App, Value};
use proptest::prelude::*;
use std::sync::{Arc, Mutex};

/// One generated event: stream (0 = A, 1 = B, 2 = C), value, time gap since the previous one.
#[derive(Clone, Debug)]
struct Ev {
    stream: usize,
    v: i32,
    t: i64,
}

fn events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec((0usize..3, 0i32..10, 1i64..40), 0..40).prop_map(|raw| {
        let mut t = 0;
        raw.into_iter()
            .map(|(stream, v, gap)| {
                t += gap;
                Ev { stream, v, t }
            })
            .collect()
    })
}

const STREAMS: &str =
    "define stream A (v int); define stream B (v int); define stream C (v int);\n";

fn run(query: &str, input: &[Ev]) -> Vec<Vec<i32>> {
    let mut app = App::from_text("prop", &format!("{STREAMS}{query}")).expect("valid app");
    app.set_playback(true);
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    app.subscribe("Out", move |o| {
        let row = o
            .values
            .iter()
            .map(|v| match v {
                Value::Int(x) => *x,
                _ => -1,
            })
            .collect();
        sink.lock().unwrap().push(row);
    });
    for e in input {
        let stream = ["A", "B", "C"][e.stream];
        app.send(stream, Some(e.t), vec![Value::Int(e.v)])
            .expect("valid event");
    }
    out.lock().unwrap().clone()
}

/// `[every] e1=A[v > 2] -> e2=B[v > e1.v] [within w]`: each start (every A with v > 2, or only
/// the first one) completes at the first later B above it, within `w` of the start.
fn reference_two_steps(input: &[Ev], every: bool, within: Option<i64>) -> Vec<Vec<i32>> {
    let starts: Vec<usize> = input
        .iter()
        .enumerate()
        .filter(|(_, e)| e.stream == 0 && e.v > 2)
        .map(|(i, _)| i)
        .take(if every { usize::MAX } else { 1 })
        .collect();
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for &i in &starts {
        let found = input
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, e)| e.stream == 1 && e.v > input[i].v);
        if let Some((j, e)) = found
            && within.is_none_or(|w| e.t - input[i].t <= w)
        {
            matches.push((j, i));
        }
    }
    matches.sort();
    matches
        .into_iter()
        .map(|(j, i)| vec![input[i].v, input[j].v])
        .collect()
}

/// `every e1=A -> e2=B[v == e1.v and v > above] [within w]` (partials indexed by the key, and
/// `v > above` checked before looking them up): each A completes at the first later B with the
/// same value above `above`, within `w` of the A.
fn reference_keyed(input: &[Ev], above: i32, within: Option<i64>) -> Vec<Vec<i32>> {
    let mut matches = Vec::new();
    for (i, a) in input.iter().enumerate().filter(|(_, e)| e.stream == 0) {
        let found = (i + 1..input.len())
            .find(|&j| input[j].stream == 1 && input[j].v == a.v && input[j].v > above);
        if let Some(j) = found
            && within.is_none_or(|w| input[j].t - a.t <= w)
        {
            matches.push((j, i, vec![a.v, input[j].v]));
        }
    }
    matches.sort_by_key(|(j, i, _)| (*j, *i));
    matches.into_iter().map(|(_, _, row)| row).collect()
}

/// `every e1=A -> e2=B -> e3=C`: each A completes at the first C after the first B after it.
fn reference_three_steps(input: &[Ev]) -> Vec<Vec<i32>> {
    let mut matches = Vec::new();
    for (i, a) in input.iter().enumerate().filter(|(_, e)| e.stream == 0) {
        let Some(j) = (i + 1..input.len()).find(|&j| input[j].stream == 1) else {
            continue;
        };
        let Some(k) = (j + 1..input.len()).find(|&k| input[k].stream == 2) else {
            continue;
        };
        matches.push((k, i, vec![a.v, input[j].v, input[k].v]));
    }
    matches.sort_by_key(|(k, i, _)| (*k, *i));
    matches.into_iter().map(|(_, _, row)| row).collect()
}

/// `[every] e1=A[v > 2], e2=B[v > e1.v]`: an A above 2 immediately followed by a B above it.
/// Without every only the first qualifying A may start, and a break ends the sequence. Events
/// of streams the query does not read (C) neither extend nor break it.
fn reference_sequence(input: &[Ev], every: bool) -> Vec<Vec<i32>> {
    // Only events of the streams the query reads (A and B) count for contiguity.
    let input: Vec<&Ev> = input.iter().filter(|e| e.stream < 2).collect();
    let mut out = Vec::new();
    for (i, a) in input.iter().enumerate() {
        if a.stream != 0 || a.v <= 2 {
            continue;
        }
        if let Some(b) = input.get(i + 1)
            && b.stream == 1
            && b.v > a.v
        {
            out.push(vec![a.v, b.v]);
        }
        if !every {
            break;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_pattern_matches_the_reference(input in events()) {
        let got = run("from every e1=A[v > 2] -> e2=B[v > e1.v] select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_two_steps(&input, true, None));
    }

    #[test]
    fn pattern_without_every_fires_once(input in events()) {
        let got = run("from e1=A[v > 2] -> e2=B[v > e1.v] select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_two_steps(&input, false, None));
    }

    #[test]
    fn within_bounds_every_pattern(input in events()) {
        let got = run("from every e1=A[v > 2] -> e2=B[v > e1.v] within 50 millisec select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_two_steps(&input, true, Some(50)));
    }

    #[test]
    fn keyed_pattern_matches_the_reference(input in events()) {
        let got = run("from every e1=A -> e2=B[v == e1.v] select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_keyed(&input, i32::MIN, None));
    }

    #[test]
    fn keyed_pattern_with_a_candidate_condition_matches_the_reference(input in events()) {
        let got = run("from every e1=A -> e2=B[v == e1.v and v > 4] within 60 millisec select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_keyed(&input, 4, Some(60)));
    }

    #[test]
    fn three_step_pattern_matches_the_reference(input in events()) {
        let got = run("from every e1=A -> e2=B -> e3=C select e1.v as a, e2.v as b, e3.v as c insert into Out;", &input);
        prop_assert_eq!(got, reference_three_steps(&input));
    }

    #[test]
    fn every_sequence_matches_the_reference(input in events()) {
        let got = run("from every e1=A[v > 2], e2=B[v > e1.v] select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_sequence(&input, true));
    }

    #[test]
    fn sequence_without_every_matches_the_reference(input in events()) {
        let got = run("from e1=A[v > 2], e2=B[v > e1.v] select e1.v as a, e2.v as b insert into Out;", &input);
        prop_assert_eq!(got, reference_sequence(&input, false));
    }
}
