//! Matrix client-server API.

use super::{Accepted, Outgoing, SendContext, SendError};
use crate::config::Secret;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    homeserver: &url::Url,
    room: &str,
    token: &Secret,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, homeserver, room, token, out);
    Err(SendError::Permanent {
        reason: "kind matrix is not implemented yet".into(),
    })
}
