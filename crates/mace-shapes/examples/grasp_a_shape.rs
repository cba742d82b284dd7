//! Grasp contacts as an observation: five fingers close on a procedural airplane; other
//! airplanes are scored by how well their own contacts match (1 = the same contacts).
//!
//! `cargo run --release -p mace-shapes --example grasp_a_shape`

use mace_shapes::{AirplaneFamily, GraspScore, GraspSimulator, ScoreForm};

fn main() -> Result<(), mace_shapes::Error> {
    let family = AirplaneFamily::default();
    let observed = family.shape(0, 7)?;
    let sim = GraspSimulator::in_distribution();
    let contacts = sim.observe(observed.points())?; // one coordinate per finger
    let score = GraspScore::new(contacts.clone(), ScoreForm::Mean)?;
    let others: Vec<_> = (100..110)
        .map(|i| family.shape(0, i))
        .collect::<Result<_, _>>()?;
    let scores = score.score_batch(&sim.simulate_clouds(&others)?)?;
    let own = score.score_batch(&sim.simulate_clouds(std::slice::from_ref(&observed))?)?;
    println!(
        "contacts {contacts:.3?}; the observed airplane scores {:.3}, ten others {scores:.3?}",
        own[0]
    );
    assert_eq!(own[0], 1.0);
    assert!(scores.iter().all(|&s| s < 1.0));
    Ok(())
}
