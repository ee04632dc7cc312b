//! The server end to end (in process): logins, CSRF, tokens, the JSON API,
//! ban changes reaching the store and the firewall, /metrics, the feed and
//! importing it into a second store. Each behaviour runs on SQLite and on
//! PostgreSQL (`scripts/pg-test.sh`; SKIP without it, FAIL with CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{App, Backend, RO_TOKEN, RW_TOKEN, bearer, body_text, get, json, login, send};
use ghostguard_store::{BanOrigin, BanQuery, Store, StoreOptions};
use ghostguard_web::import::{ImportOptions, fetch, import};

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(a) = crate::common::app(crate::Backend::Sqlite, stringify!($name)).await { super::$name(a).await }
            }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(a) = crate::common::app(crate::Backend::Postgres, stringify!($name)).await { super::$name(a).await }
            }
        )* }
    };
}

both!(
    everything_needs_a_login,
    login_pages_and_language,
    csrf_guards_every_change,
    lifting_a_ban_in_the_page_records_the_user_and_unbans,
    api_filters_and_bans_with_tokens,
    metrics_name_what_the_issue_asks,
    feed_formats_and_options,
);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

async fn everything_needs_a_login(a: App) {
    let r = send(&a.router, get("/incidents?kind=scanner")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/login?next=/incidents%3Fkind%3Dscanner"
    );
    for path in ["/api/v1/overview", "/api/v1/bans"] {
        let r = send(&a.router, get(path)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
    assert_eq!(
        send(&a.router, get("/metrics")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&a.router, get("/feed/blocklist.txt")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = send(
        &a.router,
        bearer("GET", "/api/v1/overview", "wrong-token", None),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = send(
        &a.router,
        Request::get("/")
            .header(header::COOKIE, "gg_session=forged")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Assets and the login page are public; pages carry a strict CSP.
    let r = send(&a.router, get("/assets/vendor/uPlot.iife.min.js")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let r = send(&a.router, get("/login")).await;
    assert!(
        r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
}

async fn login_pages_and_language(a: App) {
    // A wrong password is refused with the page again.
    let r = send(&a.router, get("/login")).await;
    let pre = common::set_cookie(&r, "gg_login").unwrap();
    let csrf = common::csrf_field(&body_text(r).await);
    let bad = Request::post("/login")
        .header(header::COOKIE, pre.split(';').next().unwrap())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("user=admin&password=nope&csrf={csrf}")))
        .unwrap();
    let r = send(&a.router, bad).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body_text(r).await.contains("login-error"));
    // Without the login cookie the form's token is worthless.
    let r = send(
        &a.router,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("user=admin&password=x&csrf={csrf}")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let s = login(&a.router).await;
    let html = body_text(send(&a.router, s.get("/")).await).await;
    assert!(
        html.contains("Overview") && html.contains("id=\"chart\""),
        "{html}"
    );
    assert!(html.contains("203.0.113.99"), "top source missing");
    assert!(html.contains("192.168.1.21"), "phone missing");
    let r = send(&a.router, get("/lang/nl?next=/bans")).await;
    assert_eq!(r.headers()[header::LOCATION], "/bans");
    let lang = common::set_cookie(&r, "gg_lang").unwrap();
    let nl = Request::get("/incidents")
        .header(
            header::COOKIE,
            format!("{}; {}", s.cookie, lang.split(';').next().unwrap()),
        )
        .body(Body::empty())
        .unwrap();
    let html = body_text(send(&a.router, nl).await).await;
    assert!(html.contains("Incidenten") && html.contains("lang=\"nl\""));
    let r = send(&a.router, get("/lang/nl?next=https://evil.example/")).await;
    assert_eq!(r.headers()[header::LOCATION], "/");
    for path in [
        "/sites",
        "/sources/203.0.113.99",
        "/bans?history=1",
        "/incidents?q=friendly",
    ] {
        let r = send(&a.router, s.get(path)).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

async fn csrf_guards_every_change(a: App) {
    let s = login(&a.router).await;
    for body in [
        "ip=198.51.100.23&site=office",
        "ip=198.51.100.23&site=office&csrf=wrong",
    ] {
        let r = send(&a.router, s.form("/bans/lift", body)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{body}");
    }
    let r = send(&a.router, s.form("/logout", "")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The API with the cookie needs the header; with it, it works.
    let mut req = Request::post("/api/v1/bans")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"ip":"203.0.113.150"}"#))
        .unwrap();
    assert_eq!(send(&a.router, req).await.status(), StatusCode::FORBIDDEN);
    req = Request::post("/api/v1/bans")
        .header(header::COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"ip":"203.0.113.150","duration":"2h"}"#))
        .unwrap();
    assert_eq!(send(&a.router, req).await.status(), StatusCode::CREATED);
    let r = send(&a.router, s.form("/logout", &format!("csrf={}", s.csrf))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        send(&a.router, s.get("/")).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn lifting_a_ban_in_the_page_records_the_user_and_unbans(a: App) {
    let s = login(&a.router).await;
    let r = send(
        &a.router,
        s.form(
            "/bans",
            &format!(
                "csrf={}&ip=203.0.113.77&site=office&duration=1h&reason=helpdesk+ticket+42",
                s.csrf
            ),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/bans?done=added&ip=203.0.113.77"
    );
    assert!(a.fw.lock().unwrap().is_banned(ip("203.0.113.77")));
    let bans = a
        .store
        .bans(&BanQuery {
            ip: Some(ip("203.0.113.77").into()),
            ..BanQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (
            bans[0].actor.as_str(),
            bans[0].origin,
            bans[0].reason.as_str()
        ),
        ("admin", BanOrigin::Manual, "helpdesk ticket 42")
    );
    let html = body_text(send(&a.router, s.get("/bans?done=added&ip=203.0.113.77")).await).await;
    assert!(html.contains("203.0.113.77 is banned."));

    let r = send(
        &a.router,
        s.form(
            "/bans/lift",
            &format!("csrf={}&ip=203.0.113.77&site=office", s.csrf),
        ),
    )
    .await;
    assert_eq!(
        r.headers()[header::LOCATION],
        "/bans?done=lifted&ip=203.0.113.77"
    );
    assert!(!a.fw.lock().unwrap().is_banned(ip("203.0.113.77")));
    let bans = a
        .store
        .bans(&BanQuery {
            ip: Some(ip("203.0.113.77").into()),
            ..BanQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(bans[0].lifted_by.as_deref(), Some("admin"));
    let html = body_text(send(&a.router, s.get("/bans")).await).await;
    assert!(!html.contains("data-ip=\"203.0.113.77\""));
    // Refused: this host's own address; a bad address is named.
    let r = send(
        &a.router,
        s.form("/bans", &format!("csrf={}&ip=127.0.0.1", s.csrf)),
    )
    .await;
    assert!(
        r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/bans?error=")
    );
    let r = send(
        &a.router,
        s.form("/bans", &format!("csrf={}&ip=not-an-ip", s.csrf)),
    )
    .await;
    assert!(
        r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("not-an-ip")
    );
}

async fn api_filters_and_bans_with_tokens(a: App) {
    let r = send(
        &a.router,
        bearer(
            "GET",
            "/api/v1/incidents?kind=scanner&limit=100",
            RO_TOKEN,
            None,
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = json(r).await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["kind"] == "scanner"));
    assert_eq!(page["total"].as_u64().unwrap(), items.len() as u64);
    let page = get_json(&a, "/api/v1/incidents?q=sipsak").await;
    assert_eq!(page["items"][0]["source"], "2001:db8:bad::15");
    let r = send(
        &a.router,
        bearer("GET", "/api/v1/incidents?source=nonsense", RO_TOKEN, None),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        send(
            &a.router,
            bearer("GET", "/api/v1/incidents/999999", RO_TOKEN, None)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );

    let ban =
        serde_json::json!({"ip": "198.51.100.250", "duration": "3h", "reason": "from the API"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RO_TOKEN, Some(ban.clone())),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "read-only token changed something"
    );
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(ban)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let out = json(r).await;
    assert_eq!(
        (out["changed"].as_bool(), out["applied"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(a.fw.lock().unwrap().is_banned(ip("198.51.100.250")));
    let active = get_json(&a, "/api/v1/bans?site=office").await;
    let b = active
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["ip"] == "198.51.100.250")
        .unwrap();
    assert_eq!(b["actor"], "token:ops");
    assert_eq!(lift(&a, "198.51.100.250").await["changed"], true);
    assert!(!a.fw.lock().unwrap().is_banned(ip("198.51.100.250")));
    let bad = serde_json::json!({"ip": "198.51.100.1", "duration": "forever"});
    assert_eq!(
        send(
            &a.router,
            bearer("POST", "/api/v1/bans", RW_TOKEN, Some(bad))
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    // An IPv6 prefix ban: the network is recorded and blocks its addresses;
    // lifting one address inside lifts it.
    let net = serde_json::json!({"ip": "2001:db8:66:1::9/64", "duration": "1h"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(net)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(a.fw.lock().unwrap().is_banned(ip("2001:db8:66:1::77")));
    assert!(!a.fw.lock().unwrap().is_banned(ip("2001:db8:66:2::77")));
    let active = get_json(&a, "/api/v1/bans?site=office").await;
    assert!(
        active
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["ip"] == "2001:db8:66:1::/64"),
        "{active:#}"
    );
    assert_eq!(lift(&a, "2001:db8:66:1::5").await["changed"], true);
    assert!(!a.fw.lock().unwrap().is_banned(ip("2001:db8:66:1::77")));
    // Lifting an address inside an operator's wider ban lifts the address
    // and keeps the wider ban in force (the firewall puts it back).
    for b in ["2001:db8:77::/48", "2001:db8:77:1::9"] {
        let body = serde_json::json!({"ip": b, "duration": "1h"});
        let r = send(
            &a.router,
            bearer("POST", "/api/v1/bans", RW_TOKEN, Some(body)),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{b}");
    }
    assert_eq!(lift(&a, "2001:db8:77:1::9").await["changed"], true);
    assert!(a.fw.lock().unwrap().is_banned(ip("2001:db8:77:5::1")));
    let active = get_json(&a, "/api/v1/bans?site=office").await;
    let ips: Vec<&str> = active
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["ip"].as_str())
        .collect();
    assert!(ips.contains(&"2001:db8:77::/48"), "{ips:?}");
    assert!(!ips.contains(&"2001:db8:77:1::9"), "{ips:?}");
    // A network row is lifted by its network (the path's `/` encoded).
    let net = serde_json::json!({"ip": "2001:db8:66:2::/64", "duration": "1h"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(net)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(a.fw.lock().unwrap().is_banned(ip("2001:db8:66:2::1")));
    assert_eq!(lift(&a, "2001:db8:66:2::%2F64").await["changed"], true);
    assert!(!a.fw.lock().unwrap().is_banned(ip("2001:db8:66:2::1")));
    // Lifting a ban puts back the rows still in force around it, but never
    // one the API would refuse (a private network written by another tool).
    let now = ghostguard_web::clock::now_ms();
    a.store
        .record_ban(&ghostguard_store::NewBan {
            site: "office".into(),
            ip: "fd12:3456:789a:1::/64".parse().unwrap(),
            reason: "another tool".into(),
            origin: ghostguard_store::BanOrigin::Import,
            actor: "test".into(),
            created_at: now,
            expires_at: Some(now + 3_600_000),
        })
        .await
        .unwrap();
    let one = serde_json::json!({"ip": "fd12:3456:789a:1::9", "duration": "1h"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(one)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(lift(&a, "fd12:3456:789a:1::9").await["changed"], true);
    assert!(
        !a.fw.lock().unwrap().is_banned(ip("fd12:3456:789a:1::77")),
        "the private network row was put in the firewall"
    );
    // Too wide: an IPv4 network, an IPv6 network wider than /48, nonsense.
    for wide in [
        "198.51.100.0/24",
        "2001:db8::/32",
        "2001:db8::/64x",
        "fd12:3456:789a::/48",
    ] {
        let body = serde_json::json!({"ip": wide});
        let r = send(
            &a.router,
            bearer("POST", "/api/v1/bans", RW_TOKEN, Some(body)),
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{wide}");
    }
    let unknown = serde_json::json!({"ip": "198.51.100.1", "colour": "red"});
    assert!(
        send(
            &a.router,
            bearer("POST", "/api/v1/bans", RW_TOKEN, Some(unknown))
        )
        .await
        .status()
        .is_client_error()
    );
    // Banning again for less time never shortens a ban in force, in the
    // store or in the firewall.
    for (time, new) in [("3h", true), ("1h", false)] {
        let body = serde_json::json!({"ip": "198.51.100.251", "duration": time});
        let r = send(
            &a.router,
            bearer("POST", "/api/v1/bans", RW_TOKEN, Some(body)),
        )
        .await;
        assert_eq!(json(r).await["changed"], new, "{time}");
    }
    a.fw.lock()
        .unwrap()
        .advance(std::time::Duration::from_secs(2 * 3600));
    assert!(a.fw.lock().unwrap().is_banned(ip("198.51.100.251")));
}

/// `GET path` as JSON with the read-only token.
async fn get_json(a: &App, path: &str) -> serde_json::Value {
    json(send(&a.router, bearer("GET", path, RO_TOKEN, None)).await).await
}

/// `DELETE /api/v1/bans/ADDR` on site `office` with the read-write token.
async fn lift(a: &App, addr: &str) -> serde_json::Value {
    let path = format!("/api/v1/bans/{addr}?site=office");
    json(send(&a.router, bearer("DELETE", &path, RW_TOKEN, None)).await).await
}

async fn metrics_name_what_the_issue_asks(a: App) {
    // A guard daemon's heartbeat (flat counters) next to the sample's.
    a.store
        .write_heartbeat(&ghostguard_store::Heartbeat {
            site: "edge".into(),
            last_seen: ghostguard_web::clock::now_ms(),
            version: "0.1.0".into(),
            stats:
                r#"{"mode":"gateway","packets":10,"malformed_input":3,"ban_latency_max_us":1200}"#
                    .into(),
        })
        .await
        .unwrap();
    // A site name with a quote and a backslash (a write token may choose
    // one): escaped in the labels, so the scrape stays parseable.
    let odd = serde_json::json!({"ip": "198.51.100.78", "site": "lab\"x\\y"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(odd)),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = send(&a.router, bearer("GET", "/metrics", RO_TOKEN, None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    let text = body_text(r).await;
    for want in [
        "# TYPE ghostguard_messages counter",
        "ghostguard_messages_total{site=\"office\",method=\"INVITE\",verdict=\"malicious\"} 1874",
        "ghostguard_incidents{site=\"office\",kind=\"scanner\"} 3",
        "ghostguard_bans_active{site=\"office\",origin=\"manual\"} 1",
        "ghostguard_bans_active{site=\"office\",origin=\"import\"} 1",
        "ghostguard_ghost_calls{site=\"office\"} 45",
        "ghostguard_guard_up{site=\"office\"} 1",
        "ghostguard_guard_up{site=\"branch\"} 0",
        "ghostguard_engine_packets_total{site=\"office\"} 1204331",
        "ghostguard_engine_sources_tracked{site=\"office\"} 412",
        "ghostguard_store_up 1",
        "ghostguard_engine_packets_total{site=\"edge\"} 10",
        "ghostguard_engine_decode_errors_total{site=\"edge\"} 3",
        "ghostguard_guard_stat{site=\"edge\",name=\"ban_latency_max_us\"} 1200",
        "ghostguard_store_schema_version{backend=",
        "ghostguard_bans_active{site=\"lab\\\"x\\\\y\",origin=\"manual\"} 1",
        "# EOF",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
    // ?token= works for scrapers that cannot set headers.
    let r = send(&a.router, get(&format!("/metrics?token={RO_TOKEN}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn feed_formats_and_options(a: App) {
    let feed = |q: &str| bearer("GET", &format!("/feed/blocklist.txt{q}"), RO_TOKEN, None);
    let text = body_text(send(&a.router, feed("")).await).await;
    let list: Vec<IpAddr> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert!(list.contains(&ip("198.51.100.23")));
    assert!(list.contains(&ip("203.0.113.66")), "manual ban missing");
    assert!(
        !list.contains(&ip("192.168.1.66")),
        "an internal host was published"
    );
    assert!(
        !list.contains(&ip("198.51.100.201")),
        "an imported ban was echoed"
    );
    assert!(!list.contains(&ip("198.51.100.5")), "below min_confidence");
    let v6 = body_text(send(&a.router, feed("?family=v6&bans=false")).await).await;
    assert_eq!(v6.trim(), "2001:db8:bad::15");
    let low = body_text(send(&a.router, feed("?min_confidence=50&bans=false")).await).await;
    assert!(low.contains("198.51.100.5"));
    let none = body_text(send(&a.router, feed("?max_age=1s&bans=false")).await).await;
    assert!(none.is_empty(), "{none}");
    assert_eq!(
        send(&a.router, feed("?max_age=soon")).await.status(),
        StatusCode::BAD_REQUEST
    );
    // An IPv6 prefix ban is published as its network, unless networks=false.
    let net = serde_json::json!({"ip": "2001:db8:66:7::/64"});
    let r = send(
        &a.router,
        bearer("POST", "/api/v1/bans", RW_TOKEN, Some(net)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let all = body_text(send(&a.router, feed("?family=v6")).await).await;
    assert!(all.lines().any(|l| l == "2001:db8:66:7::/64"), "{all}");
    let hosts = body_text(send(&a.router, feed("?family=v6&networks=false")).await).await;
    assert!(!hosts.contains('/'), "{hosts}");
    assert!(hosts.contains("2001:db8:bad::15"), "{hosts}");
    let pf = body_text(
        send(
            &a.router,
            bearer("GET", "/feed/pfsense.txt", RO_TOKEN, None),
        )
        .await,
    )
    .await;
    assert!(pf.starts_with("# ghostguard blocklist") && pf.contains("198.51.100.23/32"));
    let rsc = body_text(
        send(
            &a.router,
            bearer("GET", "/feed/mikrotik.rsc", RO_TOKEN, None),
        )
        .await,
    )
    .await;
    assert!(rsc.contains("add list=ghostguard address=198.51.100.23"));
    assert_eq!(
        send(&a.router, bearer("GET", "/feed/other.txt", RO_TOKEN, None))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// "A second guard can import the first one's feed": serve A on a real
/// loopback socket, fetch its feed with a token in the URL, import into B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_guard_imports_the_first_ones_feed() {
    let a = common::app(Backend::Sqlite, "import").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = a.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let url = format!("http://{addr}/feed/blocklist.txt?token={RO_TOKEN}");
    let text = fetch(&url).await.unwrap();
    let want = text.lines().count() as u64;
    assert!(want >= 5, "{text}");
    let dir = tempfile::tempdir().unwrap();
    let b = Store::open(
        &format!("sqlite://{}", dir.path().join("b.db").display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    let opts = ImportOptions {
        site: "branch-b".into(),
        ban_time: std::time::Duration::from_secs(3600),
        allow_private: false,
    };
    let r = import(&b, None, &url, &text, &opts).await.unwrap();
    assert_eq!((r.accepted, r.new, r.refused), (want, want, 0));
    let bans = b
        .active_bans("branch-b", ghostguard_web::clock::now_ms())
        .await
        .unwrap();
    assert_eq!(bans.len() as u64, want);
    assert!(
        bans.iter().all(
            |x| x.origin == BanOrigin::Import && x.actor.starts_with("import:http://127.0.0.1")
        )
    );
    let exp = bans[0].expires_at.unwrap() - bans[0].created_at;
    assert_eq!(exp, 3_600_000);
    // Importing again renews instead of adding.
    let r = import(&b, None, &url, &text, &opts).await.unwrap();
    assert_eq!((r.new, r.renewed), (0, want));
    // IPv6 networks become prefix bans; IPv4 networks and IPv6 ones wider
    // than /48 are counted and skipped.
    let r = import(
        &b,
        None,
        "list",
        "2001:db8:7:8::/64\n203.0.113.0/24\n2001:db8::/32\n",
        &opts,
    )
    .await
    .unwrap();
    assert_eq!((r.accepted, r.prefixes, r.networks), (1, 1, 2));
    let net: ipnet::IpNet = "2001:db8:7:8::/64".parse().unwrap();
    let inside = "2001:db8:7:8::99".parse::<std::net::IpAddr>().unwrap();
    let covering = b
        .active_bans("branch-b", ghostguard_web::clock::now_ms())
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.ip.net().contains(&inside))
        .map(|x| x.ip.net())
        .collect::<Vec<_>>();
    assert_eq!(covering, vec![net]);
    // A LAN address written IPv4-mapped is still private; a host written
    // both ways is one ban.
    let r = import(
        &b,
        None,
        "list",
        r#"["::ffff:192.168.1.10","198.51.100.99","::ffff:198.51.100.99"]"#,
        &opts,
    )
    .await
    .unwrap();
    assert_eq!((r.accepted, r.refused), (1, 2));
    // Re-importing a /64 whose kernel element absorbed a longer operator
    // ban inside it keeps that longer end (the kernel keeps one element).
    let now = ghostguard_web::clock::now_ms();
    b.record_ban(&ghostguard_store::NewBan {
        site: "branch-b".into(),
        ip: "2001:db8:9:9::5".parse::<IpAddr>().unwrap().into(),
        reason: "operator".into(),
        origin: BanOrigin::Manual,
        actor: "cli:root".into(),
        created_at: now,
        expires_at: Some(now + 30 * 86_400_000),
    })
    .await
    .unwrap();
    let dry = std::sync::Arc::new(std::sync::Mutex::new(
        ghostguard_firewall::DryRun::printing_changes(std::io::sink()),
    ));
    let fw: ghostguard_web::state::SharedFirewall = dry.clone();
    let r = import(&b, Some(&fw), "list", "2001:db8:9:9::/64\n", &opts)
        .await
        .unwrap();
    assert!(r.applied && r.firewall_error.is_none(), "{r:?}");
    let script = dry.lock().unwrap().script();
    let secs: u64 = script
        .split("2001:db8:9:9::/64 timeout ")
        .nth(1)
        .and_then(|t| t.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{script}"));
    assert!(
        secs > 29 * 86_400,
        "the /64 keeps the inner 30-day end: {secs}s"
    );
    // A wrong token is a clear error; so is a page that is no list.
    let e = fetch(&format!("http://{addr}/feed/blocklist.txt?token=wrong"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    assert!(
        import(&b, None, "x", "<html>\n<p>hi</p>", &opts)
            .await
            .is_err()
    );
}
