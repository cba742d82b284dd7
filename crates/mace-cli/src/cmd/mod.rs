//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod complete;
pub(crate) mod demo;
pub(crate) mod fig1;
pub(crate) mod grasp;
pub(crate) mod ik;
pub(crate) mod inspect;
pub(crate) mod prior;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod shapes;
pub(crate) mod table1;
pub(crate) mod table2;
pub(crate) mod tune;
