// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! The Kubernetes API client behind `k8s_info`, `k8s` and `k8s_drain`.
//!
//! `config` reads kubeconfigs as kubectl does (several `KUBECONFIG` files
//! merged first-wins, `~/.kube/config`, contexts and their namespaces,
//! client certificates, tokens, exec plugins, in-cluster config) and
//! applies the modules' overrides. `client` builds one `kube::Client` per
//! (where, kubeconfig, context, overrides) and keeps it for the run: on the
//! controller it connects directly, on a remote host it reaches the API
//! server through a `direct-tcpip` channel of that host's SSH session
//! (`tunnel`), with the kubeconfig read from the host. `api` is the small
//! REST surface the modules use (discovery, get/list/create/patch/delete,
//! eviction, watch), every call bounded by a timeout.
//!
//! TLS is rustls on ring (1.2 and 1.3 only); the ring provider is installed
//! as the process default before the first client is built.

mod api;
mod client;
mod config;
mod error;
pub(crate) mod tunnel;

pub use api::{ApiResource, Kube, ListQuery, WaitOutcome, json_get};
pub use client::{Place, connect};
pub use config::{AuthArgs, HostFiles, KubeconfigArg, load as load_kubeconfig};
pub use error::K8sError;
