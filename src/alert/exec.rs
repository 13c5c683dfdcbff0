//! A local command.

use super::{Accepted, Outgoing, SendContext, SendError};

pub(super) async fn send(
    ctx: &SendContext<'_>,
    command: &[String],
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, command, out);
    Err(SendError::Permanent {
        reason: "kind exec is not implemented yet".into(),
    })
}
