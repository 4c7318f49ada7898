//! Email, for invitations only: sent through the configured SMTP server
//! (`smtp_url`, `smtp_from`), when there is one. A mail that cannot be sent is
//! said to whoever made the invitation, who still has its link: nothing
//! waits on a mail server.

use crate::config::SmtpSettings;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::header::ContentType};

/// How long a mail server may take to take a message.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An invitation's email: to whom, the link, and what it is for.
pub struct InvitationMail<'a> {
    pub to: &'a str,
    pub link: &'a str,
    /// e.g. "partner developer of partner shop".
    pub as_what: &'a str,
    pub valid_until: &'a str,
}

/// Sends the invitation through the SMTP server; why not, if it did not go.
pub async fn send_invitation(smtp: &SmtpSettings, mail: &InvitationMail<'_>) -> Result<(), String> {
    let message = Message::builder()
        .from(smtp.from.parse().map_err(|e| format!("the sender {:?} is not an address: {e}", smtp.from))?)
        .to(mail.to.parse().map_err(|e| format!("{:?} is not an address: {e}", mail.to))?)
        .subject("Your invitation to Tessera")
        .header(ContentType::TEXT_PLAIN)
        .body(format!(
            "You are invited to Tessera as {}.\n\nMake your account (you choose your password) here:\n\n  {}\n\n\
             The link works once, until {} (UTC). If you did not expect it, ignore this email.\n",
            mail.as_what, mail.link, mail.valid_until
        ))
        .map_err(|e| format!("the email could not be written: {e}"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
        .map_err(|e| format!("the SMTP address is not usable: {e}"))?
        .timeout(Some(TIMEOUT))
        .build();
    transport.send(message).await.map(|_| ()).map_err(|e| format!("the mail server did not take it: {e}"))
}
