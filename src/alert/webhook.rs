//! Generic JSON webhooks.

use super::{Accepted, Outgoing, SendContext, SendError};
use crate::config::Secret;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    url: &Secret,
    secret: Option<&Secret>,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, url, secret, out);
    Err(SendError::Permanent {
        reason: "kind webhook is not implemented yet".into(),
    })
}
