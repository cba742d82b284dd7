//! What makes Fig. 1's second setting out of distribution: how far the flipped fifth finger's
//! contact lies from the unflipped one's, and how far the conditions the CVAE then receives lie
//! from the conditions it was trained on.

use mace_models::vae::Cvae;
use mace_shapes::{GraspSimulator, PointCloud};
use serde::{Deserialize, Serialize};

use super::grasp::{contact_points, contacts_of, CvaeCondition};
use crate::error::Result;

/// Contact geometry of Fig. 1's observations (the shapes both finger sets touch everywhere).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactGeometry {
    /// Observations measured.
    pub shapes: usize,
    /// Mean |c₅(in) − c₅(out)|: the fifth contact coordinate along its finger, in and out of
    /// distribution (cloud units; 0 for a shape mirror-symmetric across x = 0).
    pub fifth_contact_gap_mean: f64,
    /// Mean distance between the fifth contact points c₅·d₅ in and out of distribution.
    pub fifth_point_distance_mean: f64,
    /// What the CVAE reads.
    pub condition: CvaeCondition,
    /// Training conditions compared with.
    pub training_conditions: usize,
    /// Mean distance from an in-distribution test condition to its nearest training condition
    /// (Euclidean, in the CVAE's condition space).
    pub in_distribution_to_training_mean: f64,
    /// The same for the out-of-distribution conditions.
    pub out_of_distribution_to_training_mean: f64,
}

impl ContactGeometry {
    /// Measures `shapes` under both finger sets against the CVAE's training conditions (the
    /// in-distribution grasps of `training`).
    ///
    /// # Errors
    /// If the CVAE's condition size fits neither kind.
    pub fn measure(cvae: &Cvae, shapes: &[&PointCloud], training: &[PointCloud]) -> Result<Self> {
        let (id, ood) = (
            GraspSimulator::in_distribution(),
            GraspSimulator::out_of_distribution(),
        );
        let k = id.fingers();
        let condition = CvaeCondition::of_cond_dim(cvae.config().cond_dim, k)?;
        let dim = condition.dim(k);
        let (train_contacts, _, _) = contacts_of(&id, training);
        let train = condition.encode(id.directions(), &train_contacts);
        let (mut gap, mut point, mut to_train_id, mut to_train_ood) = (0.0, 0.0, 0.0, 0.0);
        let mut n = 0usize;
        for shape in shapes {
            let (Ok(a), Ok(b)) = (id.observe(shape.points()), ood.observe(shape.points())) else {
                continue;
            };
            n += 1;
            gap += f64::from((a[k - 1] - b[k - 1]).abs());
            let pa = contact_points(id.directions(), &a)[k - 1];
            let pb = contact_points(ood.directions(), &b)[k - 1];
            point += f64::from(distance(&pa, &pb));
            to_train_id += nearest(&condition.encode(id.directions(), &a), &train, dim);
            to_train_ood += nearest(&condition.encode(ood.directions(), &b), &train, dim);
        }
        let mean = |s: f64| if n == 0 { 0.0 } else { s / n as f64 };
        Ok(ContactGeometry {
            shapes: n,
            fifth_contact_gap_mean: mean(gap),
            fifth_point_distance_mean: mean(point),
            condition,
            training_conditions: train.len() / dim.max(1),
            in_distribution_to_training_mean: mean(to_train_id),
            out_of_distribution_to_training_mean: mean(to_train_ood),
        })
    }

    /// One paragraph for the tables.
    pub fn markdown(&self) -> String {
        format!(
            "Contacts of the {} observations: the fifth finger's contact moves by {:.4} along \
             its finger and its contact point by {:.4} when the finger is flipped (cloud units); \
             the CVAE reads contact {}: the nearest of its {} training conditions lies {:.4} \
             from an in-distribution condition and {:.4} ({:.1}×) from an out-of-distribution \
             one.\n",
            self.shapes,
            self.fifth_contact_gap_mean,
            self.fifth_point_distance_mean,
            match self.condition {
                CvaeCondition::Points => "points",
                CvaeCondition::Distances => "distances",
            },
            self.training_conditions,
            self.in_distribution_to_training_mean,
            self.out_of_distribution_to_training_mean,
            self.out_of_distribution_to_training_mean
                / self.in_distribution_to_training_mean.max(f64::MIN_POSITIVE),
        )
    }
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// Distance from `query` to its nearest row (of `dim`) in `rows`.
fn nearest(query: &[f32], rows: &[f32], dim: usize) -> f64 {
    rows.chunks(dim)
        .map(|r| distance(query, r))
        .fold(f32::INFINITY, f32::min)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::ShapeSource;
    use mace_models::vae::PointVaeConfig;
    use mace_shapes::Split;

    fn geometry(roll_deg: f32, condition: CvaeCondition) -> ContactGeometry {
        let source = ShapeSource {
            shapes: 400,
            roll_deg,
            ..ShapeSource::default()
        };
        let (train, test) = (
            source.load(Split::Train).unwrap(),
            source.load(Split::Test).unwrap(),
        );
        let config = PointVaeConfig::cpu().with_cond_dim(condition.dim(5));
        let cvae = Cvae::new(config, 0).unwrap();
        let test: Vec<&PointCloud> = test.iter().collect();
        ContactGeometry::measure(&cvae, &test, &train).unwrap()
    }

    /// Unrolled airplanes are mirror-symmetric: the flipped finger measures nearly the same
    /// contact and its condition lies among the training ones. Rolled, with contact points, the
    /// flipped finger's condition lies far from every training condition.
    #[test]
    fn rolling_and_contact_points_make_the_flipped_finger_out_of_distribution() {
        let mirror = geometry(0.0, CvaeCondition::Distances);
        let reference = geometry(45.0, CvaeCondition::Points);
        eprintln!("mirror: {mirror:?}\nreference: {reference:?}");
        assert!(
            mirror.shapes >= 30 && reference.shapes >= 30,
            "{mirror:?} {reference:?}"
        );
        assert!(mirror.fifth_contact_gap_mean < 0.01, "{mirror:?}");
        assert!(
            reference.fifth_contact_gap_mean > 3.0 * mirror.fifth_contact_gap_mean,
            "{reference:?} {mirror:?}"
        );
        let ratio = |g: &ContactGeometry| {
            g.out_of_distribution_to_training_mean / g.in_distribution_to_training_mean
        };
        assert!(ratio(&mirror) < 1.5, "{mirror:?}");
        assert!(ratio(&reference) > 3.0, "{reference:?}");
        assert!(reference.markdown().contains("contact points"));
    }

    #[test]
    fn nearest_row_and_distance() {
        let rows = [0.0, 0.0, 3.0, 4.0];
        assert_eq!(nearest(&[3.0, 4.5], &rows, 2), 0.5);
        assert_eq!(distance(&[0.0, 0.0], &[3.0, 4.0]), 5.0);
    }
}
