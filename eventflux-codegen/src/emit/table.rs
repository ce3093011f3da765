//! Tables as Rust: each table is the runtime's `Table` over the table's row struct, keyed by a
//! generated enum (the primary key's tuple, or one index attribute), held by the `App`. Table
//! conditions (`delete`, `update`, `in`, joins) look rows up by primary key or index when their
//! equalities allow it, and scan otherwise, as the interpreter does.

use super::Unsupported;
use super::expr::{self, Cx, Statics, convert, key_type, key_value};
use super::names::{field, private, type_name};
use crate::plan::{Plan, TableInfo, Type, TypedExpr};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// A table of the app and the Rust names generated for it.
pub struct TableCode<'a> {
    /// Its definition.
    pub info: &'a TableInfo,
    /// The row struct.
    pub row: Ident,
    /// The key enum.
    pub key: Ident,
    /// The `App` field holding it.
    pub field: Ident,
    /// For a table in an external store (`@store`): the `App` field holding the store and the
    /// method writing the table's changes to it.
    pub store: Option<(Ident, Ident)>,
}

/// The app's tables.
pub fn tables(plan: &Plan) -> Vec<TableCode<'_>> {
    plan.tables
        .iter()
        .enumerate()
        .map(|(i, info)| TableCode {
            info,
            row: type_name(&info.name),
            key: private("TableKey", i),
            field: private("table", i),
            store: info
                .store
                .as_ref()
                .map(|_| (private("store", i), private("write_store", i))),
        })
        .collect()
}

impl TableCode<'_> {
    fn attr_key_type(&self, position: usize) -> TokenStream {
        key_type(self.info.schema.attributes[position].ty)
    }

    /// Whether every key attribute can be hashed (object attributes cannot key a table).
    pub fn check(&self) -> Result<(), Unsupported> {
        let keyed = self.info.primary_key.iter().chain(&self.info.indexes);
        for p in keyed {
            if self.info.schema.attributes.get(*p).map(|a| a.ty) != Some(Type::Object) {
                continue;
            }
            return Err(Unsupported::new(
                "a table keyed or indexed on an object attribute",
                self.info.span,
            ));
        }
        Ok(())
    }

    /// The key enum: `Primary` with the primary key's values, `IndexN` with index N's value.
    pub fn items(&self) -> TokenStream {
        let key = &self.key;
        let primary: Vec<TokenStream> = self
            .info
            .primary_key
            .iter()
            .map(|p| self.attr_key_type(*p))
            .collect();
        let index_variants: Vec<Ident> = (0..self.info.indexes.len())
            .map(|i| format_ident!("Index{}", i))
            .collect();
        let index_types: Vec<TokenStream> = self
            .info
            .indexes
            .iter()
            .map(|p| self.attr_key_type(*p))
            .collect();
        quote! {
            #[doc(hidden)]
            #[derive(Clone, Debug, PartialEq, Eq, Hash)]
            #[allow(non_camel_case_types, dead_code)]
            pub enum #key {
                Primary((#(#primary,)*)),
                #(#index_variants(#index_types),)*
            }
        }
    }

    /// The `App` field's type.
    pub fn ty(&self) -> TokenStream {
        let (row, key) = (&self.row, &self.key);
        quote!(__ef::table::Table<#row, #key>)
    }

    /// An empty table with its primary key and indexes.
    pub fn init(&self) -> TokenStream {
        let (row, key) = (&self.row, &self.key);
        let value = |p: usize| {
            let a = &self.info.schema.attributes[p];
            let f = field(&self.info.schema, p);
            key_value(quote!(r.#f.clone()), a.ty)
        };
        let primary = if self.info.primary_key.is_empty() {
            quote!(None)
        } else {
            let values: Vec<TokenStream> =
                self.info.primary_key.iter().map(|p| value(*p)).collect();
            quote!(Some(::std::sync::Arc::new(|r: &#row| #key::Primary((#(#values,)*)))
                as __ef::table::KeyFn<#row, #key>))
        };
        let indexes = self.info.indexes.iter().enumerate().map(|(i, p)| {
            let variant = format_ident!("Index{}", i);
            let v = value(*p);
            quote!(::std::sync::Arc::new(|r: &#row| #key::#variant(#v)) as __ef::table::KeyFn<#row, #key>)
        });
        // A single numeric primary key orders scans (as Siddhi's sorted map of such rows).
        let scan_order = match self.info.primary_key[..] {
            [p] if self.info.schema.attributes[p].ty.is_numeric() => {
                let a = &self.info.schema.attributes[p];
                let f = field(&self.info.schema, p);
                let key = match a.ty {
                    Type::Float | Type::Double => quote!(double(r.#f.map(f64::from))),
                    _ => quote!(long(r.#f.map(i64::from))),
                };
                quote! {
                    .with_scan_order(::std::sync::Arc::new(|r: &#row| __ef::table::ScanKey::#key))
                }
            }
            _ => quote!(),
        };
        quote!(__ef::table::Table::new(#primary, vec![#(#indexes),*]) #scan_order)
    }

    /// The lookup for a condition with these `(table attribute, value)` equalities, the values
    /// emitted in `cx`: by primary key when it covers the key, else by the first index it
    /// covers, else a scan.
    pub fn lookup(
        &self,
        equalities: &[(usize, &TypedExpr)],
        cx: &Cx,
        statics: &mut Statics,
    ) -> Result<TokenStream, Unsupported> {
        let key = &self.key;
        let find = |p: usize| equalities.iter().find(|(q, _)| *q == p).map(|(_, e)| *e);
        let mut value = |p: usize, e: &TypedExpr| -> Result<TokenStream, Unsupported> {
            let ty = self.info.schema.attributes[p].ty;
            Ok(key_value(
                convert(expr::emit(e, cx, statics)?, e.ty, ty),
                ty,
            ))
        };
        let pk = &self.info.primary_key;
        if !pk.is_empty() && pk.iter().all(|p| find(*p).is_some()) {
            let values = pk
                .iter()
                .filter_map(|p| find(*p).map(|e| (*p, e)))
                .map(|(p, e)| value(p, e))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(quote!(__ef::table::Lookup::Primary(#key::Primary((#(#values,)*)))));
        }
        for (i, p) in self.info.indexes.iter().enumerate() {
            if let Some(e) = find(*p) {
                let variant = format_ident!("Index{}", i);
                let v = value(*p, e)?;
                return Ok(quote!(__ef::table::Lookup::Index(#i, #key::#variant(#v))));
            }
        }
        Ok(quote!(__ef::table::Lookup::Scan))
    }

    /// What a query runs after changing the table: for a stored table, its changes go to the
    /// store, and a failure is reported with the event being processed.
    pub fn write_through(&self) -> TokenStream {
        match &self.store {
            Some((_, write)) => quote! {
                if let Err(e) = self.#write() {
                    self.__errors.push(e.to_string());
                }
            },
            None => quote!(),
        }
    }

    /// For a stored table: its store field's declaration, how the app opens it, and its write
    /// method.
    pub fn store_parts(&self, app: &str) -> Option<(TokenStream, TokenStream, TokenStream)> {
        let (store, write) = self.store.as_ref()?;
        let annotation = self.info.store.as_ref()?;
        let (field, row, table) = (&self.field, &self.row, &self.info.name);
        let options = annotation.options.iter().map(|(k, v)| match k {
            Some(k) => quote!((Some(#k), #v)),
            None => quote!((None, #v)),
        });
        let declaration = quote!(#store: Option<__ef::store::StoreLink>,);
        let open = quote! {
            let options: &[(Option<&str>, &str)] = &[#(#options),*];
            let config =
                __ef::store::StoreConfig::new(#app, #table, #row::schema(), options.iter().copied());
            app.#store = Some(__ef::store::open_table(stores, &config, &mut app.#field, |values| {
                #row::from_values(&values).map_err(|e| e.to_string())
            })?);
        };
        let method = quote! {
            fn #write(&mut self) -> Result<(), __ef::store::StoreError> {
                match &mut self.#store {
                    Some(store) => __ef::store::write_table(&mut self.#field, store, #row::to_values),
                    None => Ok(()),
                }
            }
        };
        Some((declaration, open, method))
    }

    /// The message of an insert refused because `row`'s primary key is taken.
    pub fn duplicate_message(&self) -> TokenStream {
        let name = &self.info.name;
        let fields = self
            .info
            .primary_key
            .iter()
            .map(|p| field(&self.info.schema, *p));
        quote! {
            ::std::format!(
                "table '{}' already has a row with primary key ({})",
                #name,
                [#(__ef::Field::to_value(&row.#fields).to_text()),*].join(", ")
            )
        }
    }
}
