//! The built-in stream functions' semantics, shared by the compiled path and the interpreter
//! (`#log` is in [`crate::compiled::log_event`]).

/// The `x` and `y` that `#pol2Cart(theta, rho)` adds: `rho * cos(theta)` and
/// `rho * sin(theta)`, theta in degrees (as Siddhi's `Pol2CartStreamFunctionProcessor`); both
/// null when theta or rho is.
pub fn pol2cart(theta: Option<f64>, rho: Option<f64>) -> (Option<f64>, Option<f64>) {
    match (theta, rho) {
        (Some(theta), Some(rho)) => {
            let radians = theta.to_radians();
            (Some(rho * radians.cos()), Some(rho * radians.sin()))
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polar_coordinates_become_cartesian_and_null_stays_null() {
        let (x, y) = pol2cart(Some(90.0), Some(2.0));
        assert!((x.unwrap_or(f64::NAN)).abs() < 1e-12);
        assert_eq!(y, Some(2.0));
        assert_eq!(pol2cart(Some(0.0), Some(3.0)), (Some(3.0), Some(0.0)));
        assert_eq!(pol2cart(None, Some(3.0)), (None, None));
        assert_eq!(pol2cart(Some(1.0), None), (None, None));
    }
}
