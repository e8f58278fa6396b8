//! OpenAPI links (`responses.201.links`): from what a `POST` creates to the operations on it.
//!
//! A creation answers `201` with the new record (its `id`, or the `number` of a proposal) and
//! its `ETag`. Every operation under the record's path whose other path parameters are those of
//! the creation can follow: the new id from the answer's body, the others from the request's
//! path, and, for a change of the record itself, `If-Match` from the answer's `ETag`. A client
//! (or a stateful test) walks person → case → contact → … with no id typed by hand.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{Components, OpenApi, RefOr, Schema};

/// One operation of the document, as links see it.
struct Target {
    path: String,
    operation_id: String,
    params: Vec<String>,
    if_match: bool,
}

/// The names of `path`'s parameters (`/v1/cases/{id}/contacts/{contact_id}` → id, contact_id).
fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

fn operations(item: &PathItem) -> impl Iterator<Item = &Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

/// The properties of the component `reference` names, through `allOf`.
fn properties_of(schema: &RefOr<Schema>, components: &Components) -> Vec<String> {
    match schema {
        RefOr::Ref(reference) => {
            let name = reference
                .ref_location
                .trim_start_matches("#/components/schemas/");
            components
                .schemas
                .get(name)
                .map(|schema| properties_of(schema, components))
                .unwrap_or_default()
        }
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        RefOr::T(Schema::AllOf(all_of)) => all_of
            .items
            .iter()
            .flat_map(|item| properties_of(item, components))
            .collect(),
        RefOr::T(_) => Vec::new(),
    }
}

/// The properties of the `201` body of `operation`.
fn created_properties(operation: &Operation, components: &Components) -> Vec<String> {
    let Some(RefOr::T(response)) = operation.responses.responses.get("201") else {
        return Vec::new();
    };
    response
        .content
        .get("application/json")
        .and_then(|content| content.schema.as_ref())
        .map(|schema| properties_of(schema, components))
        .unwrap_or_default()
}

/// Adds the links of every creation of `document`.
pub fn add(document: &mut OpenApi) {
    // The components are read while the paths are written: two fields of the document.
    let Some(components) = document.components.as_ref() else {
        return;
    };
    let targets: Vec<Target> = document
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            operations(item).filter_map(move |operation| {
                Some(Target {
                    path: path.clone(),
                    operation_id: operation.operation_id.clone()?,
                    params: path_params(path),
                    if_match: operation
                        .parameters
                        .iter()
                        .flatten()
                        .any(|p| p.name == "If-Match"),
                })
            })
        })
        .collect();
    let collections: Vec<String> = document.paths.paths.keys().cloned().collect();
    for (path, item) in &mut document.paths.paths {
        let Some(post) = item.post.as_mut() else {
            continue;
        };
        // The record's path: this collection and one more parameter (which may itself have
        // no operation, only operations under it).
        let Some(record) = collections.iter().find_map(|candidate| {
            let rest = candidate.strip_prefix(path.as_str())?.strip_prefix("/{")?;
            let name = rest.split('}').next()?;
            Some(format!("{path}/{{{name}}}"))
        }) else {
            continue;
        };
        let Some(new_param) = path_params(&record).pop() else {
            continue;
        };
        let properties = created_properties(post, components);
        let source = if properties.contains(&new_param) {
            new_param.clone()
        } else if properties.iter().any(|p| p == "id") {
            "id".to_owned()
        } else {
            continue;
        };
        let known = path_params(path);
        let mut links = serde_json::Map::new();
        for target in &targets {
            let under = target.path == record || target.path.starts_with(&format!("{record}/"));
            let reachable = target
                .params
                .iter()
                .all(|p| *p == new_param || known.contains(p));
            if !under || !reachable {
                continue;
            }
            let mut parameters = serde_json::Map::new();
            for param in &target.params {
                let value = if *param == new_param {
                    format!("$response.body#/{source}")
                } else {
                    format!("$request.path.{param}")
                };
                parameters.insert(format!("path.{param}"), value.into());
            }
            if target.if_match && target.path == record {
                parameters.insert("header.If-Match".to_owned(), "$response.header.ETag".into());
            }
            let link = serde_json::json!({
                "operationId": target.operation_id,
                "parameters": parameters,
                "description": format!("`{}` on what this request created", target.operation_id),
            });
            links.insert(target.operation_id.clone(), link);
        }
        // utoipa's `Link` writes its fields in snake_case (`operation_id`), which no tool reads:
        // the links go in as JSON, under the one extension key (a hash map: one key keeps the
        // document's bytes stable).
        if let Some(RefOr::T(created)) = post.responses.responses.get_mut("201") {
            created
                .extensions
                .get_or_insert_with(Default::default)
                .insert("links".to_owned(), serde_json::Value::Object(links));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_creation_links_to_the_operations_on_what_it_created() {
        let document = serde_json::to_value(crate::document()).expect("the document");
        let links = &document["paths"]["/v1/cases"]["post"]["responses"]["201"]["links"];
        assert_eq!(
            links["read_case"]["parameters"]["path.id"],
            "$response.body#/id"
        );
        assert_eq!(
            links["update_case"]["parameters"]["header.If-Match"],
            "$response.header.ETag"
        );
        // A sub-resource keeps the request's own path parameters.
        let contact = &document["paths"]["/v1/cases/{id}/contacts"]["post"]["responses"]["201"]["links"]
            ["read_contact"]["parameters"];
        assert_eq!(contact["path.id"], "$request.path.id");
        assert_eq!(contact["path.contact_id"], "$response.body#/id");
        // A proposal is named by its number.
        let proposal = &document["paths"]["/v1/cases/{id}/plan/proposals"]["post"]["responses"]["201"]
            ["links"];
        assert!(
            proposal
                .as_object()
                .expect("links")
                .values()
                .any(|l| l["parameters"]["path.number"] == "$response.body#/number"),
            "{proposal}"
        );
    }
}
