//! ntfy topics.

use super::{Accepted, Outgoing, SendContext, SendError};
use crate::config::Secret;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    url: &Secret,
    token: Option<&Secret>,
    priority: Option<u8>,
    tags: &[String],
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, url, token, priority, tags, out);
    Err(SendError::Permanent {
        reason: "kind ntfy is not implemented yet".into(),
    })
}
