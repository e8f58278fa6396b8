//! The help plan: its items (content, lifecycle, access) and the plan view.

mod item_access;
mod item_status;
mod items;
mod view;
