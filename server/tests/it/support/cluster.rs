//! A PostgreSQL cluster of the test's own (a temporary folder, a free port),
//! for faults the shared one must not suffer: restarts. Debian's binaries;
//! run as the `postgres` user when the tests run as root, as scripts/test does.

use std::{path::PathBuf, process::Command};

pub struct Cluster {
    pub url: String,
    dir: tempfile::TempDir,
    bin: PathBuf,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/test installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().expect("a PostgreSQL bin folder")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"))
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            Command::new("chown").args(["-R", "postgres"]).arg(dir.path()).status().unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), bin: bin_dir(), dir };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        let options =
            format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", cluster.dir.path().display());
        cluster.run("pg_ctl", &["-D", &data, "-l", &cluster.log(), "-w", "-o", &options, "start"]);
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log(&self) -> String {
        self.dir.path().join("log").display().to_string()
    }

    /// `pg_ctl restart -m fast`: every connection is cut, the server is down for a moment.
    pub fn restart(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-l", &self.log(), "-w", "-m", "fast", "restart"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| ());
        let path = self.bin.join("pg_ctl");
        let data = self.data();
        let _ = if is_root() {
            Command::new("runuser").args(["-u", "postgres", "--"]).arg(path).args(["-D", &data, "-m", "immediate", "stop"]).output()
        } else {
            Command::new(path).args(["-D", &data, "-m", "immediate", "stop"]).output()
        };
    }
}
