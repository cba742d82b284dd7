//! A procedural airplane family: a stand-in for ShapeNet's airplanes when the data set is
//! absent, with a genuinely multi-modal distribution.
//!
//! Each shape is a mesh of parts (a fuselage of revolution with tapered nose and up-swept tail
//! cone, lofted wings, tail planes, a fin, pylons and nacelles) sampled area-weighted to
//! [`AirplaneConfig::points`] points and normalised as ShapeNet is
//! ([`Normalization::BboxDiagonal`] by default).
//!
//! Orientation follows ShapeNetCore v2: up = +y, nose towards −z (fuselage along z), wings
//! spanning x, with x = 0 the plane of symmetry. The grasp fingers approach in the xy plane,
//! so they meet a front cross-section of the airplane near the middle of its length: the
//! fuselage, the wing roots (or, depending on wing position and sweep, the wings out to their
//! tips along the x axis), and nacelles under the wings.
//!
//! Discrete modes: wing plan (swept 45 %, straight 30 %, delta 25 %), engines (none, two or
//! four under the wings, two on the rear fuselage), tail (conventional, T-tail, fin only for
//! deltas), wing mount (low, mid, high); continuous proportions within each mode.

mod parts;

use rand::Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::point_cloud::{Normalization, PointCloud};
use crate::seed::item_rng;
use parts::{loft, loft_station, nacelle, revolve, Loft};

/// Wing plan form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WingPlan {
    /// Airliner: swept (22–38°), tapered, moderate span.
    Swept,
    /// Propeller / glider: unswept, little taper, long span.
    Straight,
    /// Fighter / Concorde: highly swept triangle, short span, long root chord, no tail plane.
    Delta,
}

/// Tail arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TailKind {
    /// Tail planes on the fuselage below the fin.
    Conventional,
    /// Tail planes on top of the fin.
    TTail,
    /// A fin only (deltas).
    FinOnly,
}

/// Engine arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineLayout {
    /// No visible engines (in the fuselage, or a glider).
    None,
    /// Two nacelles, one under (or in, for straight wings) each wing.
    UnderWing2,
    /// Four nacelles, two under each wing.
    UnderWing4,
    /// Two nacelles on pylons at the sides of the rear fuselage.
    Rear2,
}

impl EngineLayout {
    /// Number of nacelles.
    pub fn count(self) -> usize {
        match self {
            EngineLayout::None => 0,
            EngineLayout::UnderWing2 | EngineLayout::Rear2 => 2,
            EngineLayout::UnderWing4 => 4,
        }
    }
}

/// A lifting surface's proportions (lengths in fuselage lengths, angles in degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceParams {
    /// Span of one side, from the centre plane (wings, tail planes) or the root (fin).
    pub span: f32,
    /// Chord at the root.
    pub root_chord: f32,
    /// Tip chord / root chord.
    pub taper: f32,
    /// Leading-edge sweep, degrees.
    pub sweep_deg: f32,
    /// Dihedral, degrees (0 for fins).
    pub dihedral_deg: f32,
    /// Thickness / chord.
    pub thickness: f32,
}

/// All parameters of one airplane (lengths in fuselage lengths: the fuselage runs from
/// z = −0.5 at the nose to z = 0.5 before normalisation).
#[derive(Debug, Clone, PartialEq)]
pub struct AirplaneParams {
    /// Wing plan form.
    pub wing_plan: WingPlan,
    /// Tail arrangement.
    pub tail: TailKind,
    /// Engine arrangement.
    pub engines: EngineLayout,
    /// Fuselage radius.
    pub fuselage_radius: f32,
    /// Fraction of the length taken by the rounded nose.
    pub nose_fraction: f32,
    /// Fraction of the length taken by the tapering tail cone.
    pub tail_fraction: f32,
    /// Rise of the tail-cone centre line at the very end, in fuselage radii.
    pub tail_upsweep: f32,
    /// Main wings (`span` = semi-span from the centre plane).
    pub wing: SurfaceParams,
    /// Wing root leading edge, as a fraction of the length from the nose.
    pub wing_position: f32,
    /// Wing mount height, in fuselage radii (−0.6 low, 0 mid, 0.6 high).
    pub wing_height: f32,
    /// Horizontal tail planes (`None` for fin-only tails).
    pub tail_plane: Option<SurfaceParams>,
    /// Vertical fin (`span` = height).
    pub fin: SurfaceParams,
    /// Nacelle radius.
    pub nacelle_radius: f32,
    /// Nacelle length.
    pub nacelle_length: f32,
    /// Spanwise stations of the under-wing nacelles, as fractions of the semi-span
    /// (one entry per side: 0, 1 or 2 of them).
    pub engine_stations: Vec<f32>,
}

fn pick<T: Copy>(rng: &mut impl Rng, choices: &[(f32, T)]) -> T {
    let total: f32 = choices.iter().map(|c| c.0).sum();
    let mut u = rng.random::<f32>() * total;
    for &(w, v) in choices {
        if u < w {
            return v;
        }
        u -= w;
    }
    choices[choices.len() - 1].1
}

fn uniform(rng: &mut impl Rng, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

impl AirplaneParams {
    /// Draws one airplane's parameters from the family's distribution.
    pub fn sample(rng: &mut impl Rng) -> Self {
        let wing_plan = pick(
            rng,
            &[
                (0.45, WingPlan::Swept),
                (0.30, WingPlan::Straight),
                (0.25, WingPlan::Delta),
            ],
        );
        let mut u = |lo, hi| uniform(rng, lo, hi);
        let (radius, wing, wing_position) = match wing_plan {
            WingPlan::Swept => (
                u(0.045, 0.07),
                SurfaceParams {
                    span: u(0.40, 0.62),
                    root_chord: u(0.14, 0.24),
                    taper: u(0.2, 0.4),
                    sweep_deg: u(22.0, 38.0),
                    dihedral_deg: u(2.0, 7.0),
                    thickness: u(0.09, 0.14),
                },
                u(0.32, 0.45),
            ),
            WingPlan::Straight => (
                u(0.04, 0.065),
                SurfaceParams {
                    span: u(0.45, 0.80),
                    root_chord: u(0.10, 0.18),
                    taper: u(0.5, 1.0),
                    sweep_deg: u(0.0, 6.0),
                    dihedral_deg: u(0.0, 5.0),
                    thickness: u(0.10, 0.15),
                },
                u(0.25, 0.40),
            ),
            WingPlan::Delta => {
                let root_chord = u(0.40, 0.58);
                (
                    u(0.05, 0.08),
                    SurfaceParams {
                        span: u(0.22, 0.38),
                        root_chord,
                        taper: u(0.0, 0.12),
                        sweep_deg: u(45.0, 65.0),
                        dihedral_deg: u(-4.0, 2.0),
                        thickness: u(0.05, 0.08),
                    },
                    u(0.3, 0.95 - root_chord),
                )
            }
        };
        let engines = match wing_plan {
            WingPlan::Swept => pick(
                rng,
                &[
                    (0.55, EngineLayout::UnderWing2),
                    (0.25, EngineLayout::UnderWing4),
                    (0.20, EngineLayout::Rear2),
                ],
            ),
            WingPlan::Straight => pick(
                rng,
                &[(0.45, EngineLayout::None), (0.55, EngineLayout::UnderWing2)],
            ),
            WingPlan::Delta => EngineLayout::None,
        };
        let tail = match (wing_plan, engines) {
            (WingPlan::Delta, _) => TailKind::FinOnly,
            (_, EngineLayout::Rear2) => TailKind::TTail,
            (WingPlan::Swept, _) => pick(
                rng,
                &[(0.75, TailKind::Conventional), (0.25, TailKind::TTail)],
            ),
            (WingPlan::Straight, _) => pick(
                rng,
                &[(0.65, TailKind::Conventional), (0.35, TailKind::TTail)],
            ),
        };
        let wing_height = match wing_plan {
            WingPlan::Delta => pick(rng, &[(0.5, 0.0), (0.5, -0.5)]),
            WingPlan::Straight => pick(rng, &[(0.5, 0.6), (0.5, -0.6)]),
            WingPlan::Swept => pick(rng, &[(0.8, -0.6), (0.2, 0.6)]),
        };
        let mut u = |lo, hi| uniform(rng, lo, hi);
        let fin = SurfaceParams {
            span: if wing_plan == WingPlan::Delta {
                u(0.12, 0.2)
            } else {
                u(0.10, 0.18)
            },
            root_chord: u(0.12, 0.2),
            taper: u(0.3, 0.7),
            sweep_deg: u(30.0, 50.0),
            dihedral_deg: 0.0,
            thickness: u(0.08, 0.12),
        };
        let tail_plane = (tail != TailKind::FinOnly).then(|| SurfaceParams {
            span: u(0.14, 0.24),
            root_chord: u(0.08, 0.13),
            taper: u(0.3, 0.6),
            sweep_deg: if wing_plan == WingPlan::Straight {
                u(0.0, 10.0)
            } else {
                u(20.0, 40.0)
            },
            dihedral_deg: u(0.0, 8.0),
            thickness: u(0.08, 0.12),
        });
        let engine_stations = match engines {
            EngineLayout::UnderWing2 => vec![u(0.28, 0.42)],
            EngineLayout::UnderWing4 => vec![u(0.24, 0.32), u(0.5, 0.64)],
            EngineLayout::None | EngineLayout::Rear2 => Vec::new(),
        };
        Self {
            wing_plan,
            tail,
            engines,
            fuselage_radius: radius,
            nose_fraction: u(0.08, 0.2),
            tail_fraction: u(0.22, 0.35),
            tail_upsweep: u(0.2, 0.8),
            wing,
            wing_position,
            wing_height,
            tail_plane,
            fin,
            nacelle_radius: u(0.022, 0.038),
            nacelle_length: u(0.11, 0.18),
            engine_stations,
        }
    }

    /// Fuselage radius and centre height at fraction `t` of the length from the nose.
    fn fuselage_at(&self, t: f32) -> (f32, f32) {
        let r = self.fuselage_radius;
        let tail_start = 1.0 - self.tail_fraction;
        if t < self.nose_fraction {
            let s = 1.0 - t / self.nose_fraction;
            (r * (1.0 - s * s).max(0.0).sqrt(), 0.0)
        } else if t <= tail_start {
            (r, 0.0)
        } else {
            let s = ((t - tail_start) / self.tail_fraction).min(1.0);
            (r * (1.0 - 0.75 * s), self.tail_upsweep * r * s * s)
        }
    }

    /// The airplane's surface mesh (pre-normalisation units: fuselage length 1, nose at
    /// z = −0.5).
    pub fn mesh(&self) -> Mesh {
        let mut mesh = Mesh::default();
        let r = self.fuselage_radius;
        let z_of = |t: f32| t - 0.5;

        // Fuselage: stations denser in the nose and tail.
        let mut stations = Vec::with_capacity(28);
        for k in 0..=8 {
            let t = self.nose_fraction * (k as f32 / 8.0).powf(1.6);
            stations.push(t);
        }
        for k in 1..=8 {
            stations.push(
                self.nose_fraction
                    + (1.0 - self.tail_fraction - self.nose_fraction) * k as f32 / 8.0,
            );
        }
        for k in 1..=8 {
            stations.push(1.0 - self.tail_fraction + self.tail_fraction * k as f32 / 8.0);
        }
        let rings: Vec<(f32, f32, f32)> = stations
            .iter()
            .map(|&t| {
                let (rad, cy) = self.fuselage_at(t);
                (z_of(t), rad, cy)
            })
            .collect();
        revolve(&mut mesh, 0.0, &rings, 20);

        // Wings, mirrored about x = 0, roots just inside the fuselage surface.
        let wing_y = self.wing_height * r;
        let root_x = 0.9 * (r * r - wing_y * wing_y).max(0.0).sqrt();
        let w = self.wing;
        let wing_loft = |side: f32| Loft {
            root_le: [side * root_x, wing_y, z_of(self.wing_position)],
            span_dir: [side, 0.0, 0.0],
            up_dir: [0.0, 1.0, 0.0],
            span: (w.span - root_x).max(0.05),
            root_chord: w.root_chord,
            tip_chord: w.root_chord * w.taper,
            sweep: w.sweep_deg.to_radians(),
            dihedral: w.dihedral_deg.to_radians(),
            thickness: w.thickness,
        };
        for side in [1.0f32, -1.0] {
            loft(&mut mesh, &wing_loft(side));
        }

        // Fin on the tail cone; its top carries a T-tail.
        let f = self.fin;
        let fin_root_chord = f.root_chord;
        let fin_t = (1.0 - fin_root_chord * 1.05).max(0.5);
        let (fr, fcy) = self.fuselage_at(fin_t + 0.5 * fin_root_chord);
        let fin_loft = Loft {
            root_le: [0.0, fcy + 0.7 * fr, z_of(fin_t)],
            span_dir: [0.0, 1.0, 0.0],
            up_dir: [1.0, 0.0, 0.0],
            span: f.span,
            root_chord: fin_root_chord,
            tip_chord: fin_root_chord * f.taper,
            sweep: f.sweep_deg.to_radians(),
            dihedral: 0.0,
            thickness: f.thickness,
        };
        loft(&mut mesh, &fin_loft);

        if let Some(h) = self.tail_plane {
            let (le, y) = match self.tail {
                TailKind::TTail => {
                    let (tip_le, tip_chord) = loft_station(&fin_loft, fin_loft.span);
                    let z = tip_le[2] + 0.5 * tip_chord - 0.5 * h.root_chord;
                    (z, tip_le[1])
                }
                _ => {
                    let t = (1.0 - h.root_chord * 1.1).max(0.5);
                    let (_, cy) = self.fuselage_at(t + 0.5 * h.root_chord);
                    (z_of(t), cy)
                }
            };
            for side in [1.0f32, -1.0] {
                loft(
                    &mut mesh,
                    &Loft {
                        root_le: [0.0, y, le],
                        span_dir: [side, 0.0, 0.0],
                        up_dir: [0.0, 1.0, 0.0],
                        span: h.span,
                        root_chord: h.root_chord,
                        tip_chord: h.root_chord * h.taper,
                        sweep: h.sweep_deg.to_radians(),
                        dihedral: h.dihedral_deg.to_radians(),
                        thickness: h.thickness,
                    },
                );
            }
        }

        // Engines.
        let (rn, ln) = (self.nacelle_radius, self.nacelle_length);
        for &eta in &self.engine_stations {
            for side in [1.0f32, -1.0] {
                let wl = wing_loft(side);
                let d = (eta * w.span - root_x).max(0.0);
                let (le, chord) = loft_station(&wl, d);
                let half_thick = 0.5 * w.thickness * chord;
                if self.wing_plan == WingPlan::Straight {
                    // Turboprop nacelle through the wing, protruding forward.
                    let c = [le[0], le[1] - 0.2 * rn, le[2] + 0.2 * ln];
                    nacelle(&mut mesh, c, rn, ln);
                } else {
                    let cy = le[1] - half_thick - 1.3 * rn;
                    let c = [le[0], cy, le[2] + 0.05 * ln];
                    nacelle(&mut mesh, c, rn, ln);
                    loft(
                        &mut mesh,
                        &Loft {
                            root_le: [le[0], cy + 0.8 * rn, le[2] + 0.1 * chord],
                            span_dir: [0.0, 1.0, 0.0],
                            up_dir: [1.0, 0.0, 0.0],
                            span: 0.5 * rn + half_thick,
                            root_chord: 0.5 * ln,
                            tip_chord: 0.5 * ln,
                            sweep: 0.0,
                            dihedral: 0.0,
                            thickness: 0.15,
                        },
                    );
                }
            }
        }
        if self.engines == EngineLayout::Rear2 {
            let t = 1.0 - self.tail_fraction - 0.05;
            let (fr, fcy) = self.fuselage_at(t);
            for side in [1.0f32, -1.0] {
                let c = [side * (fr + 1.5 * rn), fcy + 0.3 * fr, z_of(t)];
                nacelle(&mut mesh, c, rn, ln);
                loft(
                    &mut mesh,
                    &Loft {
                        root_le: [side * 0.8 * fr, c[1], c[2] - 0.2 * ln],
                        span_dir: [side, 0.0, 0.0],
                        up_dir: [0.0, 1.0, 0.0],
                        span: c[0].abs() - 0.8 * fr,
                        root_chord: 0.4 * ln,
                        tip_chord: 0.4 * ln,
                        sweep: 0.0,
                        dihedral: 0.0,
                        thickness: 0.15,
                    },
                );
            }
        }
        mesh
    }
}

/// Size and normalisation of generated clouds.
#[derive(Debug, Clone, PartialEq)]
pub struct AirplaneConfig {
    /// Points per cloud. Default 2048 (as ShapeNet's clouds).
    pub points: usize,
    /// Normalisation. Default [`Normalization::BboxDiagonal`] (as ShapeNet).
    pub normalization: Normalization,
}

impl Default for AirplaneConfig {
    fn default() -> Self {
        Self {
            points: 2048,
            normalization: Normalization::BboxDiagonal,
        }
    }
}

/// The procedural airplane family. Shape `i` of seed `s` depends only on `(s, i)`.
///
/// # Example
/// ```
/// use mace_shapes::AirplaneFamily;
/// let family = AirplaneFamily::default();
/// let clouds = family.generate(8, 42)?;
/// assert_eq!(clouds.len(), 8);
/// assert_eq!(clouds[3].len(), 2048);
/// assert_eq!(clouds[3], family.shape(42, 3)?); // subsets are consistent
/// # Ok::<(), mace_shapes::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AirplaneFamily {
    config: AirplaneConfig,
}

impl AirplaneFamily {
    /// A family producing clouds as `config` says.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `points = 0`.
    pub fn new(config: AirplaneConfig) -> Result<Self> {
        if config.points == 0 {
            return Err(Error::InvalidParameter {
                name: "points",
                value: "0".into(),
                reason: "a cloud needs at least one point",
            });
        }
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &AirplaneConfig {
        &self.config
    }

    /// The parameters of shape `index` of `seed`.
    pub fn params(&self, seed: u64, index: u64) -> AirplaneParams {
        AirplaneParams::sample(&mut item_rng(seed, index))
    }

    /// Shape `index` of `seed`: parameters drawn, surface sampled and normalised, all from
    /// the item's own RNG.
    ///
    /// # Errors
    /// None in practice (generated meshes always have area); kept for sampling errors.
    pub fn shape(&self, seed: u64, index: u64) -> Result<PointCloud> {
        let mut rng = item_rng(seed, index);
        let params = AirplaneParams::sample(&mut rng);
        let mut cloud = params.mesh().sample_surface(self.config.points, &mut rng)?;
        cloud.normalize(self.config.normalization);
        Ok(cloud)
    }

    /// Shapes `0..n` of `seed`, generated in parallel.
    ///
    /// # Errors
    /// As [`AirplaneFamily::shape`].
    pub fn generate(&self, n: usize, seed: u64) -> Result<Vec<PointCloud>> {
        (0..n as u64)
            .into_par_iter()
            .map(|i| self.shape(seed, i))
            .collect()
    }
}
