//! Each table's columns as one typed enum: a query cannot name a column the table lacks, and
//! the order of the read columns is written once, in the enum.

/// Declares a table's column enum. `read` columns are those a row of the aggregate is decoded
/// from, in the order of every SELECT list ([`SELECT`](#associatedconstant.SELECT)) and so of the
/// positions decoders use; `stored` ones are only written (lowercase copies, bookkeeping).
macro_rules! table_columns {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident in $table:literal {
            read { $first:ident = $first_name:literal $(, $read:ident = $read_name:literal)* $(,)? }
            stored { $($stored:ident = $stored_name:literal),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $Enum {
            $first,
            $($read,)*
            $($stored,)*
        }

        #[allow(dead_code)]
        impl $Enum {
            /// The table's name.
            pub(crate) const TABLE: &'static str = $table;
            /// The columns a row is decoded from, in variant (and so SELECT) order.
            pub(crate) const READ: &'static [Self] = &[Self::$first, $(Self::$read),*];
            /// Every column, read ones first, in variant order.
            pub(crate) const ALL: &'static [Self] =
                &[Self::$first, $(Self::$read,)* $(Self::$stored),*];
            /// The SELECT list of [`Self::READ`], built from the same names at compile time.
            pub(crate) const SELECT: &'static str = concat!($first_name $(, ", ", $read_name)*);

            /// The column's name in the schema.
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    Self::$first => $first_name,
                    $(Self::$read => $read_name,)*
                    $(Self::$stored => $stored_name,)*
                }
            }

            /// Where a read column sits in a row selected with [`Self::SELECT`].
            pub(crate) const fn at(self) -> usize {
                self as usize
            }
        }

        impl $crate::columns::Columns for $Enum {
            const TABLE: &'static str = $table;
            const SELECT: &'static str = concat!($first_name $(, ", ", $read_name)*);
            fn name(self) -> &'static str {
                $Enum::name(self)
            }
        }

        impl sea_query::Iden for $Enum {
            fn unquoted(&self, s: &mut dyn std::fmt::Write) {
                // Writing to the query builder's String cannot fail.
                let _ = s.write_str(self.name());
            }
        }
    };
}

pub(crate) use table_columns;

/// What generic code needs of a column enum (each is declared by [`table_columns`]).
pub(crate) trait Columns: sea_query::Iden + Copy + 'static {
    /// The table's name.
    const TABLE: &'static str;
    /// The SELECT list of the read columns, in variant order.
    const SELECT: &'static str;
    /// The column's name in the schema.
    fn name(self) -> &'static str;
}
