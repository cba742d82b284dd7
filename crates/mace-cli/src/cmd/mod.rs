//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod ik;
pub(crate) mod prior;
pub(crate) mod table1;
pub(crate) mod table2;
pub(crate) mod tune;
