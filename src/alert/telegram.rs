//! Telegram Bot API.

use super::{Accepted, Outgoing, SendContext, SendError};
use crate::config::Secret;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    api_url: &url::Url,
    token: &Secret,
    chat_id: &str,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let _ = (ctx, api_url, token, chat_id, out);
    Err(SendError::Permanent {
        reason: "kind telegram is not implemented yet".into(),
    })
}
