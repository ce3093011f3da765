//! Typed expressions as Rust: every expression becomes a block of type `Option<T>` (`None` is
//! null) over the event struct in scope. Constants that would allocate (strings) and calls of
//! built-in functions are hoisted into statics, built once.

use super::Unsupported;
use super::names::{field, private};
use super::table::TableCode;
use crate::plan::{
    AttrRef, BinaryOp, EventIndex, ExprNode, Function, Schema, Type, TypedExpr, Value as Constant,
};
use crate::span::Span;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The Rust type of attribute type `ty`.
pub fn rust_type(ty: Type) -> TokenStream {
    match ty {
        Type::Int => quote!(i32),
        Type::Long => quote!(i64),
        Type::Float => quote!(f32),
        Type::Double => quote!(f64),
        Type::Bool => quote!(bool),
        Type::String => quote!(__ef::Str),
        Type::Object => quote!(__ef::Value),
    }
}

/// The type of a grouping key component for `ty` (floats wrapped in their total order).
pub fn key_type(ty: Type) -> TokenStream {
    match ty {
        Type::Float => quote!(Option<__ef::TotalF32>),
        Type::Double => quote!(Option<__ef::TotalF64>),
        t => {
            let t = rust_type(t);
            quote!(Option<#t>)
        }
    }
}

/// `value` (an `Option` of `ty`) as a key component.
pub fn key_value(value: TokenStream, ty: Type) -> TokenStream {
    match ty {
        Type::Float => quote!((#value).map(__ef::TotalF32)),
        Type::Double => quote!((#value).map(__ef::TotalF64)),
        _ => value,
    }
}

/// The plan's type as a runtime expression.
pub fn type_tokens(ty: Type) -> TokenStream {
    let v = format_ident!("{}", format!("{ty:?}"));
    quote!(__ef::plan::Type::#v)
}

fn constant_tokens(v: &Constant) -> TokenStream {
    match v {
        Constant::Null => quote!(__ef::plan::Value::Null),
        Constant::Int(x) => quote!(__ef::plan::Value::Int(#x)),
        Constant::Long(x) => quote!(__ef::plan::Value::Long(#x)),
        Constant::Float(x) => quote!(__ef::plan::Value::Float(#x)),
        Constant::Double(x) => quote!(__ef::plan::Value::Double(#x)),
        Constant::String(s) => quote!(__ef::plan::Value::String(::std::string::String::from(#s))),
        Constant::Bool(b) => quote!(__ef::plan::Value::Bool(#b)),
    }
}

/// Items hoisted out of expressions (string constants, function call sites).
#[derive(Default)]
pub struct Statics {
    /// The `static` items.
    pub items: Vec<TokenStream>,
}

impl Statics {
    fn add(&mut self, prefix: &str, ty: TokenStream, init: TokenStream) -> proc_macro2::Ident {
        let name = private(prefix, self.items.len());
        self.items.push(quote! {
            static #name: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| #init);
        });
        name
    }
}

/// One event slot of a pattern as generated code reads it: its schema and the method of the
/// pattern's event enum that gives the slot stream's struct (`Option<&Struct>`).
pub struct SlotAccess<'a> {
    /// The slot stream's schema.
    pub schema: &'a Schema,
    /// The enum method returning the stream's struct.
    pub accessor: proc_macro2::Ident,
}

/// The input events an expression reads, and the Rust names they are bound to.
#[derive(Clone, Copy)]
pub enum Inputs<'a> {
    /// One event, `e: &Struct` (input 0).
    Single(&'a Schema),
    /// A join's sides, `l: Option<&Left>` (input 0) and `r: Option<&Right>` (input 1).
    Pair(&'a Schema, &'a Schema),
    /// An expression window's condition: the newest event `e: &Struct` (input 0, `last`) and
    /// the oldest one held `first: &Struct` (input 1).
    Window(&'a Schema),
    /// A pattern's slots, `slots: &[Slot<Enum>]`; in an element's condition, the candidate event
    /// `cand: &Enum` of the slot being matched, which unindexed references to that slot read.
    Slots {
        /// The slots, by index.
        slots: &'a [SlotAccess<'a>],
        /// The slot the candidate fills, in an element's condition.
        candidate: Option<usize>,
    },
}

/// What an expression can read where it is emitted.
#[derive(Clone)]
pub struct Cx<'a> {
    /// The input events, if any.
    pub input: Option<Inputs<'a>>,
    /// The schema of the table row in `trow` (`delete`/`update` conditions, `in`), if any.
    pub table: Option<&'a Schema>,
    /// The app's tables, reachable as `self.__tableN` (for `in`), where `self` is the `App`.
    pub tables: Option<&'a [TableCode<'a>]>,
    /// The schema of the output row in `row`, if any.
    pub output: Option<&'a Schema>,
    /// Whether aggregate values are in scope as `__a0`, `__a1`, ...
    pub aggregates: bool,
    /// The event timestamp expression (`__ts` or `0`).
    pub timestamp: TokenStream,
    /// Where the expression is (for errors).
    pub span: Span,
}

impl<'a> Cx<'a> {
    /// The context of an expression over one event `e` of `schema` (with `__ts`, its time),
    /// reaching the app's `tables` when given.
    pub fn event(schema: &'a Schema, tables: Option<&'a [TableCode<'a>]>, span: Span) -> Self {
        Cx {
            input: Some(Inputs::Single(schema)),
            table: None,
            tables,
            output: None,
            aggregates: false,
            timestamp: quote!(__ts),
            span,
        }
    }
}

/// `tokens`, an `Option` of `from`, as an `Option` of `to`.
pub fn convert(tokens: TokenStream, from: Type, to: Type) -> TokenStream {
    if from == to {
        return tokens;
    }
    let t = rust_type(to);
    quote!(__ef::Convert::<#t>::convert(#tokens))
}

/// The event a pattern reference picks out of a slot's list `events` (`Option<&Enum>`).
fn pick(events: TokenStream, index: Option<EventIndex>) -> TokenStream {
    match index {
        None | Some(EventIndex::At(0)) => quote!(#events.first()),
        Some(EventIndex::At(n)) => {
            let n = n as usize;
            quote!(#events.get(#n))
        }
        Some(EventIndex::FromLast(n)) => {
            let n = n as usize + 1;
            quote!({
                let __events: &[_] = &#events;
                __events.len().checked_sub(#n).and_then(move |i| __events.get(i))
            })
        }
    }
}

/// How an attribute is read: owned (`Option<T>`, a clone) or borrowed (`Option<&T>`).
#[derive(Clone, Copy, PartialEq)]
enum Read {
    Owned,
    Borrowed,
}

impl Read {
    /// The method turning a field (`Option<T>`) into the read.
    fn method(self) -> TokenStream {
        match self {
            Read::Owned => quote!(clone),
            Read::Borrowed => quote!(as_ref),
        }
    }
}

/// An input attribute as an `Option` of its type (owned) or of a reference to it (borrowed).
fn input_attr(
    inputs: Inputs,
    input: usize,
    index: Option<EventIndex>,
    position: usize,
    read: Read,
) -> Option<TokenStream> {
    let m = read.method();
    match inputs {
        Inputs::Single(schema) if input == 0 && index.is_none() => {
            let f = field(schema, position)?;
            Some(quote!(e.#f.#m()))
        }
        Inputs::Single(_) => None,
        Inputs::Window(schema) if index.is_none() => {
            let f = field(schema, position)?;
            match input {
                0 => Some(quote!(e.#f.#m())),
                1 => Some(quote!(first.#f.#m())),
                _ => None,
            }
        }
        Inputs::Window(_) => None,
        Inputs::Pair(left, right) if index.is_none() => {
            let (side, schema) = match input {
                0 => (quote!(l), left),
                1 => (quote!(r), right),
                _ => return None,
            };
            let f = field(schema, position)?;
            Some(quote!(#side.and_then(|v| v.#f.#m())))
        }
        Inputs::Pair(..) => None,
        Inputs::Slots { slots, candidate } => {
            let slot = slots.get(input)?;
            let f = field(slot.schema, position)?;
            let accessor = &slot.accessor;
            let event = if candidate == Some(input) && index.is_none() {
                quote!(Some(cand))
            } else {
                pick(quote!(slots[#input]), index)
            };
            Some(quote!(#event.and_then(|x| x.#accessor()).and_then(|v| v.#f.#m())))
        }
    }
}

/// Emits `e` as an expression of type `Option<&rust_type(e.ty)>`: an attribute is read in
/// place (a string is not cloned to be compared), anything else is computed and borrowed for
/// the rest of the enclosing statement.
fn emit_borrowed(
    e: &TypedExpr,
    cx: &Cx,
    statics: &mut Statics,
) -> Result<TokenStream, Unsupported> {
    if let ExprNode::Attr(AttrRef::Input {
        input,
        index,
        position,
    }) = &e.kind
        && let Some(read) = cx
            .input
            .and_then(|inputs| input_attr(inputs, *input, *index, *position, Read::Borrowed))
    {
        return Ok(read);
    }
    let owned = emit(e, cx, statics)?;
    Ok(quote!((#owned).as_ref()))
}

/// The statements binding the names [`Inputs`] promises, from `data` (an expression of the
/// query's input type: the struct, the join pair or the pattern's slots).
pub fn bind_inputs(inputs: Option<Inputs>, data: TokenStream) -> TokenStream {
    match inputs {
        None => quote!(let _ = &#data;),
        Some(Inputs::Single(_) | Inputs::Window(_)) => quote!(let e = &#data;),
        Some(Inputs::Pair(..)) => quote! {
            let l = (#data).left.as_ref();
            let r = (#data).right.as_ref();
        },
        Some(Inputs::Slots { .. }) => quote!(let slots: &[__ef::pattern::Slot<_>] = &#data;),
    }
}

/// Both operands of a binary operator, converted to the type it runs in.
fn operands(
    lhs: &TypedExpr,
    rhs: &TypedExpr,
    operand: Type,
    cx: &Cx,
    statics: &mut Statics,
) -> Result<(TokenStream, TokenStream), Unsupported> {
    Ok((
        convert(emit(lhs, cx, statics)?, lhs.ty, operand),
        convert(emit(rhs, cx, statics)?, rhs.ty, operand),
    ))
}

/// Emits `e` as an expression of type `Option<rust_type(e.ty)>`.
pub fn emit(e: &TypedExpr, cx: &Cx, statics: &mut Statics) -> Result<TokenStream, Unsupported> {
    let unsupported = |what: &str| Unsupported::new(what, cx.span);
    Ok(match &e.kind {
        ExprNode::Const(v) => {
            let (tokens, ty) = match v {
                Constant::Null => {
                    let t = rust_type(e.ty);
                    return Ok(quote!(None::<#t>));
                }
                Constant::Int(x) => (quote!(Some(#x)), Type::Int),
                Constant::Long(x) => (quote!(Some(#x)), Type::Long),
                Constant::Float(x) => (quote!(Some(#x)), Type::Float),
                Constant::Double(x) => (quote!(Some(#x)), Type::Double),
                Constant::Bool(b) => (quote!(Some(#b)), Type::Bool),
                Constant::String(s) => {
                    let name = statics.add("TEXT", quote!(__ef::Str), quote!(__ef::Str::from(#s)));
                    (quote!(Some(#name.clone())), Type::String)
                }
            };
            convert(tokens, ty, e.ty)
        }
        ExprNode::Attr(AttrRef::Input {
            input,
            index,
            position,
        }) => cx
            .input
            .and_then(|inputs| input_attr(inputs, *input, *index, *position, Read::Owned))
            .ok_or_else(|| unsupported("this input attribute here"))?,
        ExprNode::Attr(AttrRef::Output { position }) => {
            let f = cx
                .output
                .and_then(|s| field(s, *position))
                .ok_or_else(|| unsupported("output attributes here"))?;
            quote!(row.#f.clone())
        }
        ExprNode::Attr(AttrRef::Table { position }) => {
            let f = cx
                .table
                .and_then(|s| field(s, *position))
                .ok_or_else(|| unsupported("table attributes here"))?;
            quote!(trow.#f.clone())
        }
        ExprNode::Neg(inner) => {
            let x = emit(inner, cx, statics)?;
            convert(quote!(__ef::ops::neg(#x)), inner.ty, e.ty)
        }
        ExprNode::Arith {
            op,
            operand,
            lhs,
            rhs,
        } => {
            let (a, b) = operands(lhs, rhs, *operand, cx, statics)?;
            let f = match op {
                BinaryOp::Add => quote!(add),
                BinaryOp::Sub => quote!(sub),
                BinaryOp::Mul => quote!(mul),
                BinaryOp::Div => quote!(div),
                BinaryOp::Mod => quote!(rem),
                _ => return Err(unsupported("this arithmetic operator")),
            };
            convert(quote!(__ef::ops::#f(#a, #b)), *operand, e.ty)
        }
        ExprNode::Compare {
            op,
            operand,
            lhs,
            rhs,
        } => {
            // Operands of the compared type are borrowed (no clone of a string); others are
            // converted to it first.
            let (a, b) = if lhs.ty == *operand && rhs.ty == *operand {
                (
                    emit_borrowed(lhs, cx, statics)?,
                    emit_borrowed(rhs, cx, statics)?,
                )
            } else {
                operands(lhs, rhs, *operand, cx, statics)?
            };
            let c = match op {
                BinaryOp::Lt => quote!(Lt),
                BinaryOp::Le => quote!(Le),
                BinaryOp::Gt => quote!(Gt),
                BinaryOp::Ge => quote!(Ge),
                BinaryOp::Eq => quote!(Eq),
                BinaryOp::Ne => quote!(Ne),
                _ => return Err(unsupported("this comparison operator")),
            };
            quote!(Some(__ef::ops::compare(__ef::ops::Cmp::#c, &#a, &#b)))
        }
        ExprNode::And(a, b) => {
            let (a, b) = (emit(a, cx, statics)?, emit(b, cx, statics)?);
            quote!(Some(__ef::ops::holds(#a) && __ef::ops::holds(#b)))
        }
        ExprNode::Or(a, b) => {
            let (a, b) = (emit(a, cx, statics)?, emit(b, cx, statics)?);
            quote!(Some(__ef::ops::holds(#a) || __ef::ops::holds(#b)))
        }
        ExprNode::Not(a) => {
            let a = emit(a, cx, statics)?;
            quote!(Some(!__ef::ops::holds(#a)))
        }
        ExprNode::IsNull(a) => {
            let a = emit(a, cx, statics)?;
            quote!(Some((#a).is_none()))
        }
        ExprNode::InputTimestamp(input) => match (cx.input, input) {
            (Some(Inputs::Window(_)), 0) => quote!(Some(__ts)),
            (Some(Inputs::Window(_)), 1) => quote!(Some(__first_ts)),
            _ => return Err(unsupported("eventTimestamp of an event reference here")),
        },
        ExprNode::EventIsNull { slot, index } => match cx.input {
            Some(Inputs::Slots { .. }) => match index {
                None => quote!(Some(slots.get(#slot).is_none_or(|events| events.is_empty()))),
                Some(_) => {
                    let event = pick(quote!(slots[#slot]), *index);
                    quote!(Some(#event.is_none()))
                }
            },
            _ => return Err(unsupported("an event reference outside a pattern")),
        },
        ExprNode::InTable { table, condition } => {
            let t = cx
                .tables
                .and_then(|tables| tables.iter().find(|t| t.info.name == *table))
                .ok_or_else(|| {
                    unsupported("`in` here (only in filters of single-stream queries)")
                })?;
            let mut equalities = Vec::new();
            condition.table_row_equalities(&mut equalities);
            let lookup = t.lookup(&equalities, cx, statics)?;
            let row_cx = Cx {
                table: Some(&t.info.schema),
                ..cx.clone()
            };
            let holds = self::condition(condition, &row_cx, statics)?;
            let (f, row) = (&t.field, &t.row);
            quote!(Some(self.#f.any(&#lookup, |trow: &#row| #holds)))
        }
        ExprNode::Call { function, args } => {
            let Function::Builtin(f) = function else {
                return Err(unsupported("script functions"));
            };
            let function = format_ident!("{}", format!("{f:?}"));
            let mut spec = Vec::new();
            let mut values = Vec::new();
            for a in args {
                match a.const_value() {
                    Some(v) => {
                        let (v, t) = (constant_tokens(&v), type_tokens(a.ty));
                        spec.push(quote!(__ef::CallArg::Constant(#v, #t)));
                    }
                    None => {
                        let t = type_tokens(a.ty);
                        spec.push(quote!(__ef::CallArg::Computed(#t)));
                        let x = emit(a, cx, statics)?;
                        values.push(quote!(__ef::to_value(#x)));
                    }
                }
            }
            let ty = type_tokens(e.ty);
            let call = statics.add(
                "CALL",
                quote!(__ef::BuiltinCall),
                quote!(__ef::BuiltinCall::new(
                    __ef::catalog::ScalarFunction::#function,
                    #ty,
                    vec![#(#spec),*]
                )),
            );
            let t = rust_type(e.ty);
            let ts = &cx.timestamp;
            quote!(__ef::from_value::<#t>(#call.call(#ts, &[#(#values),*])))
        }
        ExprNode::Aggregate(i) => {
            if !cx.aggregates {
                return Err(unsupported("aggregates here"));
            }
            let a = private("a", *i);
            quote!(#a.clone())
        }
    })
}

/// Emits a condition: a `bool` that is true only when `e` is `true`.
pub fn condition(
    e: &TypedExpr,
    cx: &Cx,
    statics: &mut Statics,
) -> Result<TokenStream, Unsupported> {
    let x = emit(e, cx, statics)?;
    Ok(quote!(__ef::ops::holds(#x)))
}
