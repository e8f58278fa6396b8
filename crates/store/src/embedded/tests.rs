//! Tests of the embedded cluster: real ephemeral and persistent clusters started from the
//! installed binaries, and the pure helpers (binary search, versions, passwd parsing, URLs, log
//! tails).

use std::os::unix::fs::PermissionsExt;

use sqlx::Row;

use super::binaries::{find_binaries, parse_version, server_version, version_matches};
use super::privileges::{euid_from_proc_status, passwd_entries};
use super::*;

#[tokio::test]
async fn ephemeral_cluster_answers_and_removes_itself() {
    let pg = EmbeddedPostgres::start_ephemeral()
        .await
        .expect("start ephemeral");
    let dir = pg.data_dir().to_owned();
    let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
        .await
        .expect("connect");
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .expect("select");
    assert_eq!(one, 1);
    let fsync: String = sqlx::query_scalar("SHOW fsync")
        .fetch_one(&mut conn)
        .await
        .expect("show fsync");
    assert_eq!(fsync, "off");
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .expect("show listen_addresses");
    assert_eq!(listen, "");
    // The URL form reaches the same server.
    let from_url: PgConnectOptions = pg.url("postgres").parse().expect("parse url");
    let mut conn2 = PgConnection::connect_with(&from_url)
        .await
        .expect("connect by url");
    sqlx::query("SELECT 1")
        .execute(&mut conn2)
        .await
        .expect("select by url");
    conn2.close().await.expect("close");
    conn.close().await.expect("close");
    pg.stop().await.expect("stop");
    assert!(!dir.exists(), "{} should have been removed", dir.display());
}

#[tokio::test]
async fn dropped_ephemeral_cluster_cleans_up_by_itself() {
    let pg = EmbeddedPostgres::start_ephemeral()
        .await
        .expect("start ephemeral");
    let dir = pg.data_dir().to_owned();
    drop(pg);
    let deadline = Instant::now() + Duration::from_secs(30);
    while dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    assert!(!dir.exists(), "{} should have been removed", dir.display());
}

#[tokio::test]
async fn second_start_finds_the_same_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // tempdir makes 0700 directories; as root, the `postgres` account must pass through.
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let opts = EmbeddedOptions::new(tmp.path().join("relais"), "relais");

    let started = Instant::now();
    let pg = EmbeddedPostgres::start(opts.clone())
        .await
        .expect("first start");
    eprintln!("first start (initdb + start): {:?}", started.elapsed());
    assert!(!pg.reused_running_server());
    assert!(pg.log_file().is_file());
    let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE marker (note text)")
        .execute(&mut conn)
        .await
        .expect("create");
    sqlx::query("INSERT INTO marker VALUES ('first start')")
        .execute(&mut conn)
        .await
        .expect("insert");
    let fsync: String = sqlx::query_scalar("SHOW fsync")
        .fetch_one(&mut conn)
        .await
        .expect("show fsync");
    assert_eq!(fsync, "on");
    conn.close().await.expect("close");

    // A second start while the first server runs reuses it.
    let again = EmbeddedPostgres::start(opts.clone())
        .await
        .expect("start while running");
    assert!(again.reused_running_server());
    drop(again);

    let started = Instant::now();
    pg.stop().await.expect("stop");
    eprintln!("stop: {:?}", started.elapsed());

    let started = Instant::now();
    let pg = EmbeddedPostgres::start(opts.clone())
        .await
        .expect("second start");
    eprintln!("second start: {:?}", started.elapsed());
    assert!(!pg.reused_running_server());
    let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
        .await
        .expect("reconnect");
    let row = sqlx::query("SELECT note FROM marker")
        .fetch_one(&mut conn)
        .await
        .expect("marker survives");
    assert_eq!(row.get::<String, _>("note"), "first start");
    conn.close().await.expect("close");

    // A crash (SIGKILL, stale postmaster.pid) must not block the next start.
    let mut pg = pg;
    if let Process::Server { child, .. } = &mut pg.process {
        let mut child = child.take().expect("we started this one");
        child.kill().await.expect("kill postgres");
    }
    assert!(pg.pgdata.join("postmaster.pid").exists());
    drop(pg);
    let started = Instant::now();
    let pg = EmbeddedPostgres::start(opts)
        .await
        .expect("start after crash");
    eprintln!("start after crash: {:?}", started.elapsed());
    let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
        .await
        .expect("reconnect after crash");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM marker")
        .fetch_one(&mut conn)
        .await
        .expect("marker survives the crash");
    assert_eq!(count, 1);
    conn.close().await.expect("close");
    pg.stop().await.expect("final stop");
}

#[test]
fn missing_binaries_name_the_package() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = find_binaries(&[empty.path().to_owned()]).expect_err("nothing to find");
    assert!(matches!(&err, EmbeddedError::BinariesNotFound { searched } if searched.len() == 1));
    let message = err.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(
        message.contains("dnf install postgresql-server"),
        "{message}"
    );
    assert!(
        message.contains(&empty.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn too_long_socket_path_names_the_setting() {
    let long = PathBuf::from("/tmp").join("x".repeat(100));
    let err = Layout::new(long).err().expect("too long");
    assert!(matches!(err, EmbeddedError::SocketPathTooLong { .. }));
    assert!(err.to_string().contains("RELAIS_DATA_DIR"));
    assert!(Layout::new(PathBuf::from("/tmp/relais-pg-abcdefgh")).is_ok());
}

#[test]
fn versions_match_by_major() {
    let v = server_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n");
    assert_eq!(v, "15.18");
    assert!(version_matches(&v, "15"));
    assert!(!version_matches(&v, "1"));
    assert!(!version_matches("16.2", "15"));
    assert!(version_matches("9.6.24", "9.6"));
    assert!(version_matches("17beta1", "17"));
    assert_eq!(parse_version("9.6"), Some(vec![9, 6]));
    assert_eq!(parse_version("main"), None);
}

#[test]
fn parses_uid_and_passwd() {
    let status = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n";
    assert_eq!(euid_from_proc_status(status), Some(0));
    let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\n\
                  postgres:x:101:104::/var/lib/postgresql:/bin/bash\n";
    let users: Vec<RunAs> = passwd_entries(passwd).collect();
    assert_eq!(users.len(), 2);
    assert_eq!(
        users[1],
        RunAs {
            name: "postgres".into(),
            uid: 101,
            gid: 104
        }
    );
}

#[test]
fn url_round_trips_through_sqlx() {
    let pg = EmbeddedPostgres {
        bins: PgBinaries {
            initdb: "initdb".into(),
            pg_ctl: "pg_ctl".into(),
            postgres: "postgres".into(),
        },
        data_dir: "/tmp/a b".into(),
        pgdata: "/tmp/a b/pgdata".into(),
        socket_dir: "/tmp/a b/run".into(),
        log_file: "/tmp/a b/postgres.log".into(),
        log_offset: 0,
        superuser: "relais".into(),
        run_as: None,
        process: Process::Server {
            child: None,
            reused: false,
        },
    };
    let url = pg.url("my db");
    assert_eq!(
        url,
        "postgres:///my%20db?host=/tmp/a%20b/run&user=relais&port=5432&sslmode=disable"
    );
    let parsed: PgConnectOptions = url.parse().expect("sqlx parses it");
    assert_eq!(parsed.get_socket(), Some(&PathBuf::from("/tmp/a b/run")));
    assert_eq!(parsed.get_username(), "relais");
    assert_eq!(parsed.get_database(), Some("my db"));
    assert_eq!(parsed.get_port(), 5432);
    assert_eq!(quote_list_element("/tmp/a b/run"), "\"/tmp/a b/run\"");
    assert_eq!(quote_list_element("/tmp/ab/run"), "/tmp/ab/run");
}

#[test]
fn log_tail_keeps_the_last_lines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("log");
    let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    fs::write(&path, text).expect("write");
    let tail = tail_of_file(&path, 3, 0);
    assert_eq!(tail, "line 4997\nline 4998\nline 4999");
    let offset = u64::try_from("line 0\nline 1\n".len()).expect("small");
    fs::write(&path, "line 0\nline 1\nline 2\n").expect("write");
    assert_eq!(tail_of_file(&path, 3, offset), "line 2");
    assert_eq!(tail_of_file(&tmp.path().join("missing"), 3, 0), "");
}
