//! A real SMTP server on loopback for the tests: speaks enough of RFC 5321 (EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) for lettre, and keeps every message it accepts.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The decoded text of the message (quoted-printable soft breaks and escapes undone).
    pub fn text(&self) -> String {
        let s = self.data.replace("=\r\n", "").replace("=\n", "");
        let mut out = String::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v as char);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i] as char);
            i += 1;
        }
        out
    }

    /// The first link into the app with this path prefix.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        let begin = text[..start].rfind("http")?;
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .map(|e| start + e)
            .unwrap_or(text.len());
        Some(text[begin..end].to_string())
    }

    /// The header value of `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.data.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// The running sink.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts on a free port.
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// Starts on `port` (0 for any).
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let m = messages.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else { continue };
                let m = m.clone();
                tokio::spawn(async move {
                    let _ = session(sock, m).await;
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// The URL for `SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// All messages so far.
    pub fn all(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }

    /// Messages to `addr`.
    pub fn to(&self, addr: &str) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.to.iter().any(|t| t == addr)).collect()
    }

    /// Waits up to 10 s for at least `n` messages to `addr`.
    pub async fn wait_for(&self, addr: &str, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.to(addr);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "no mail to {addr} within 10 s; have {:?}",
            self.all().iter().map(|r| r.to.clone()).collect::<Vec<_>>()
        );
    }
}

async fn session(sock: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            let addr = cmd
                .split_once(':')
                .map(|(_, a)| a.trim().trim_start_matches('<').split('>').next().unwrap_or("").to_string())
                .unwrap_or_default();
            to.push(addr);
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line);
                data.push_str(l);
            }
            store.lock().expect("lock").push(Received { to: to.clone(), data });
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            w.write_all(b"250 OK\r\n").await?;
        } else {
            w.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
}
