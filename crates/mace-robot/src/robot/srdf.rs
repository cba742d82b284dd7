//! The `<disable_collisions link1="…" link2="…"/>` pairs of a MoveIt SRDF: link pairs that
//! never need a self-collision check (adjacent, or never in contact).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{Error, Result};

/// The disabled pairs of SRDF text; `origin` names it in errors.
///
/// # Errors
/// [`Error::InvalidRobot`] for malformed XML or an element without both links.
///
/// # Example
/// ```
/// let srdf = r#"<robot name="r"><disable_collisions link1="a" link2="b" reason="Adjacent"/></robot>"#;
/// let pairs = mace_robot::robot::parse_disabled_pairs(srdf, "r.srdf")?;
/// assert_eq!(pairs, vec![("a".to_string(), "b".to_string())]);
/// # Ok::<(), mace_robot::Error>(())
/// ```
pub fn parse_disabled_pairs(text: &str, origin: &str) -> Result<Vec<(String, String)>> {
    let bad = |reason: String| Error::InvalidRobot {
        origin: origin.to_string(),
        field: "srdf".into(),
        reason,
    };
    let mut reader = Reader::from_str(text);
    let mut pairs = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            bad(format!(
                "malformed XML at byte {}: {e}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"disable_collisions" => {
                let (mut a, mut b) = (None, None);
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| bad(format!("bad attribute: {e}")))?;
                    let value = attr
                        .unescape_value()
                        .map_err(|e| bad(format!("bad attribute value: {e}")))?
                        .into_owned();
                    match attr.key.as_ref() {
                        b"link1" => a = Some(value),
                        b"link2" => b = Some(value),
                        _ => {}
                    }
                }
                match (a, b) {
                    (Some(a), Some(b)) => pairs.push((a, b)),
                    _ => {
                        return Err(bad(format!(
                            "<disable_collisions> number {} lacks link1 or link2",
                            pairs.len() + 1
                        )))
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(pairs)
}
