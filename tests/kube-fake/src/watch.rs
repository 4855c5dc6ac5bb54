// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! Watch streams: newline-delimited JSON events over a chunked response,
//! resumed from a `resourceVersion` (an ERROR event with 410 Expired when it
//! is older than the kept history, as the watch cache answers), filtered by
//! namespace and selectors (an object leaving the selection is DELETED),
//! with BOOKMARK events when the client allows them.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::crud::Selection;
use crate::request::{Request, Target};
use crate::resources;
use crate::server::Shared;
use crate::status::ApiError;
use crate::store::{Event, EventType};

/// A response body fed by a channel: one chunk per watch event.
pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// How objects are sent: as they are, or as one-row Tables when the client
/// asked for server-side printing (`kubectl get -w`); the column definitions
/// come with the first Table only.
struct Render {
    table: Option<usize>,
    sent_columns: bool,
}

impl Render {
    fn object(&mut self, kind: &str, object: &Value) -> Bytes {
        match self.table {
            Some(ty) if kind != "BOOKMARK" && kind != "ERROR" => {
                let mut t = crate::table::table(resources::get(ty), object, false);
                if self.sent_columns {
                    t["columnDefinitions"] = json!([]);
                }
                self.sent_columns = true;
                line(kind, &t)
            }
            _ => line(kind, object),
        }
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut s = json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

/// What a client sees of one stored change, given its selection.
fn translate(ev: &Event, sel: &Selection) -> Option<(&'static str, Value)> {
    let now = sel.matches(&ev.object);
    let before = ev.old.as_ref().is_some_and(|o| sel.matches(o));
    let kind = match (ev.kind, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => "DELETED",
        (EventType::Deleted, true, _) => "DELETED",
        _ => return None,
    };
    Some((kind, ev.object.clone()))
}

fn bookmark(ty: usize, rv: u64, initial_end: bool) -> Value {
    let rt = resources::get(ty);
    let mut md = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        md["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": md})
}

pub fn watch(sh: &Arc<Shared>, req: &Request, t: &Target) -> Result<ChannelBody, ApiError> {
    let mut sel = Selection::from_request(req, t)?;
    if let Some(name) = &t.name {
        // A watch on one object's path selects it by name.
        let extra = crate::selectors::FieldSelector::parse(
            &format!("metadata.name={name}"),
            resources::get(t.ty),
        )?;
        sel.fields = extra;
    }
    let bookmarks = req.flag("allowWatchBookmarks");
    let send_initial = req.flag("sendInitialEvents");
    let timeout = req
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok());
    let from: Option<u64> = req
        .param("resourceVersion")
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0);
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut render = Render {
        table: req.accept.contains("as=Table").then_some(t.ty),
        sent_columns: false,
    };
    let mut initial: Vec<Bytes> = Vec::new();
    let live: broadcast::Receiver<Arc<Event>>;
    let start_rv;
    {
        let st = sh.store.lock();
        live = sh.store.subscribe();
        start_rv = st.rv;
        match from {
            Some(rv) if !send_initial => match st.events_since(rv) {
                Ok(evs) => {
                    for ev in evs.iter().filter(|e| e.ty == t.ty) {
                        if let Some((k, o)) = translate(ev, &sel) {
                            initial.push(render.object(k, &o));
                        }
                    }
                }
                Err(e) => initial.push(line("ERROR", &e.to_status())),
            },
            _ => {
                for (_, o) in st.of_type(t.ty, None).filter(|(_, o)| sel.matches(o)) {
                    initial.push(render.object("ADDED", o));
                }
                if send_initial && bookmarks {
                    initial.push(line("BOOKMARK", &bookmark(t.ty, st.rv, true)));
                }
            }
        }
    }
    let expired = initial
        .iter()
        .any(|b| b.starts_with(b"{\"type\":\"ERROR\""));
    let ty = t.ty;
    let interval = sh.opts.bookmark_interval;
    tokio::spawn(async move {
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if expired {
            return;
        }
        let deadline = timeout.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        stream(
            tx, live, sel, ty, bookmarks, interval, deadline, start_rv, render,
        )
        .await;
    });
    Ok(ChannelBody { rx })
}

#[allow(clippy::too_many_arguments)]
async fn stream(
    tx: mpsc::Sender<Bytes>,
    mut live: broadcast::Receiver<Arc<Event>>,
    sel: Selection,
    ty: usize,
    bookmarks: bool,
    interval: Duration,
    deadline: Option<tokio::time::Instant>,
    mut last_rv: u64,
    mut render: Render,
) {
    let far = tokio::time::Instant::now() + Duration::from_secs(24 * 3600);
    let end = deadline.unwrap_or(far);
    let mut tick = tokio::time::interval(interval);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => return,
            _ = tx.closed() => return,
            _ = tick.tick(), if bookmarks => {
                if tx.send(line("BOOKMARK", &bookmark(ty, last_rv, false))).await.is_err() {
                    return;
                }
            }
            ev = live.recv() => match ev {
                Ok(ev) => {
                    if ev.ty != ty {
                        continue;
                    }
                    last_rv = ev.rv;
                    if let Some((k, o)) = translate(&ev, &sel)
                        && tx.send(render.object(k, &o)).await.is_err() {
                            return;
                        }
                }
                // A watcher too slow for the event rate is cut off, as the API server does; the client re-lists.
                Err(_) => return,
            }
        }
    }
}
