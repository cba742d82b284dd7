//! The robots shipped with MACE: their URDF and collision meshes are compiled in, so they load
//! without the repository's `assets/` folder (`assets/robots/NAME.urdf` and `NAME/`, with
//! their licences).

use crate::math::Vec3;

/// A robot compiled into the library.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRobot {
    /// Its name (what `--robot NAME` takes).
    pub name: &'static str,
    /// One line on what it is and where its description comes from.
    pub about: &'static str,
    /// The URDF text.
    pub urdf: &'static str,
    /// The collision meshes, by the file names the URDF gives.
    pub meshes: &'static [(&'static str, &'static [u8])],
    /// Base link.
    pub base: &'static str,
    /// Tip link.
    pub tip: &'static str,
    /// Offset of the tool centre point in the tip's frame, metres.
    pub tcp: Vec3,
}

/// Every shipped robot; `panda` is the default.
pub const BUILTIN_ROBOTS: [BuiltinRobot; 3] = [
    BuiltinRobot {
        name: "panda",
        about:
            "Franka Emika Panda, 7 DoF, hand at 0.04 m (PyBullet 3.2.7's franka_panda, Apache-2.0)",
        urdf: include_str!("../../../../assets/robots/panda.urdf"),
        meshes: &PANDA_MESHES,
        base: "panda_link0",
        tip: "panda_grasptarget",
        tcp: [0.0; 3],
    },
    BuiltinRobot {
        name: "iiwa14",
        about: "KUKA LBR iiwa 14 R820, 7 DoF, flange (PyBullet 3.2.7's kuka_iiwa, BSD-2-Clause)",
        urdf: include_str!("../../../../assets/robots/iiwa14.urdf"),
        meshes: &IIWA14_MESHES,
        base: "lbr_iiwa_link_0",
        tip: "lbr_iiwa_link_7",
        tcp: [0.0; 3],
    },
    BuiltinRobot {
        name: "xarm6",
        about: "UFactory xArm6, 6 DoF, flange (PyBullet 3.2.7's xarm, xarm_ros BSD-3-Clause)",
        urdf: include_str!("../../../../assets/robots/xarm6.urdf"),
        meshes: &XARM6_MESHES,
        base: "link_base",
        tip: "link6",
        tcp: [0.0; 3],
    },
];

const PANDA_MESHES: [(&str, &[u8]); 10] = [
    (
        "panda/collision/link0.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link0.obj"),
    ),
    (
        "panda/collision/link1.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link1.obj"),
    ),
    (
        "panda/collision/link2.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link2.obj"),
    ),
    (
        "panda/collision/link3.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link3.obj"),
    ),
    (
        "panda/collision/link4.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link4.obj"),
    ),
    (
        "panda/collision/link5.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link5.obj"),
    ),
    (
        "panda/collision/link6.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link6.obj"),
    ),
    (
        "panda/collision/link7.obj",
        include_bytes!("../../../../assets/robots/panda/collision/link7.obj"),
    ),
    (
        "panda/collision/hand.obj",
        include_bytes!("../../../../assets/robots/panda/collision/hand.obj"),
    ),
    (
        "panda/collision/finger.obj",
        include_bytes!("../../../../assets/robots/panda/collision/finger.obj"),
    ),
];

const IIWA14_MESHES: [(&str, &[u8]); 8] = [
    (
        "iiwa14/collision/link_0.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_0.obj"),
    ),
    (
        "iiwa14/collision/link_1.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_1.obj"),
    ),
    (
        "iiwa14/collision/link_2.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_2.obj"),
    ),
    (
        "iiwa14/collision/link_3.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_3.obj"),
    ),
    (
        "iiwa14/collision/link_4.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_4.obj"),
    ),
    (
        "iiwa14/collision/link_5.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_5.obj"),
    ),
    (
        "iiwa14/collision/link_6.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_6.obj"),
    ),
    (
        "iiwa14/collision/link_7.obj",
        include_bytes!("../../../../assets/robots/iiwa14/collision/link_7.obj"),
    ),
];

const XARM6_MESHES: [(&str, &[u8]); 7] = [
    (
        "xarm6/collision/base.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/base.obj"),
    ),
    (
        "xarm6/collision/link1.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link1.obj"),
    ),
    (
        "xarm6/collision/link2.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link2.obj"),
    ),
    (
        "xarm6/collision/link3.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link3.obj"),
    ),
    (
        "xarm6/collision/link4.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link4.obj"),
    ),
    (
        "xarm6/collision/link5.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link5.obj"),
    ),
    (
        "xarm6/collision/link6.obj",
        include_bytes!("../../../../assets/robots/xarm6/collision/link6.obj"),
    ),
];
