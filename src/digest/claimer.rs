//! How a run names itself when it claims deliveries: `host/pid/nonce`. A run reading
//! another's claim can tell when that run is certainly gone — the same host, and no such
//! process — and take its rows at once instead of waiting for the claim to run out.

/// One run's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimer(String);

impl Claimer {
    /// A name for a new run of this process.
    pub fn new() -> Claimer {
        let nonce = crate::tokens::random_token()
            .map(|t| t.as_str()[..12].to_owned())
            .unwrap_or_else(|_| {
                format!(
                    "{:x}",
                    std::time::UNIX_EPOCH
                        .elapsed()
                        .unwrap_or_default()
                        .as_nanos()
                )
            });
        Claimer(format!("{}/{}/{nonce}", host(), std::process::id()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the run named `claimer` is certainly gone: it ran on this host, in a
    /// process that no longer exists. Any other claim (another host, a name not made
    /// here) is left to run out.
    pub fn is_gone(claimer: &str) -> bool {
        let mut parts = claimer.rsplitn(3, '/');
        let (Some(_nonce), Some(pid), Some(claim_host)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(pid) = pid.parse::<i32>() else {
            return false;
        };
        if claim_host != host() || pid <= 0 || pid as u32 == std::process::id() {
            return false;
        }
        // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
        !alive
    }
}

/// This machine's name.
fn host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its length; gethostname terminates or truncates.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    match ok {
        true => String::from_utf8_lossy(&buf[..end]).replace('/', "_"),
        false => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_run_of_a_vanished_process_on_this_host_is_gone() {
        let me = Claimer::new();
        assert!(!Claimer::is_gone(me.as_str()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(Claimer::is_gone(&format!("{}/{pid}/abc", host())));
        assert!(!Claimer::is_gone(&format!("elsewhere.example/{pid}/abc")));
        for odd in ["", "x", "a/b", "a/b/c", &format!("{}/-1/x", host())] {
            assert!(!Claimer::is_gone(odd), "{odd}");
        }
    }
}
