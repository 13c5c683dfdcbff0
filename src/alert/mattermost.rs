//! Mattermost incoming webhooks.

use super::{Accepted, Outgoing, SendContext, SendError};
use crate::config::Secret;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    url: &Secret,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, url, out);
    Err(SendError::Permanent {
        reason: "kind mattermost is not implemented yet".into(),
    })
}
