//! 405 Method Not Allowed: a request whose path is a route of the API but
//! whose method is not one of that route's answers 405 with `Allow`, not
//! 404. The routes and their methods are read once from the OpenAPI
//! document, which lists every route (a test checks it does), so the two
//! cannot disagree.

use std::sync::OnceLock;

use actix_web::http::Method;

/// One route: its path split at `/` (`{…}` segments match anything but
/// an empty segment) and the methods it answers.
struct Route {
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

enum Segment {
    Literal(String),
    Parameter,
}

/// Every documented route, and the pages outside the document.
fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let document = super::openapi::document();
        let mut routes: Vec<Route> = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let operations = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                Route {
                    segments: segments(path),
                    methods: operations
                        .into_iter()
                        .filter(|(_, present)| *present)
                        .map(|(method, _)| method)
                        .collect(),
                }
            })
            .collect();
        // The dashboard and the document itself.
        for path in ["/", "/openapi.json"] {
            routes.push(Route {
                segments: segments(path),
                methods: vec![Method::GET],
            });
        }
        routes
    })
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(segment.to_owned())
            }
        })
        .collect()
}

fn matches(route: &Route, path: &str) -> bool {
    let mut given = path.split('/');
    let mut pattern = route.segments.iter();
    loop {
        match (pattern.next(), given.next()) {
            (None, None) => return true,
            (Some(Segment::Literal(literal)), Some(segment)) if literal == segment => {}
            (Some(Segment::Parameter), Some(segment)) if !segment.is_empty() => {}
            _ => return false,
        }
    }
}

/// The methods `path` answers, when it is a route (empty otherwise), in
/// the order GET, POST, PUT, PATCH, DELETE.
pub fn allowed(path: &str) -> Vec<Method> {
    let mut methods: Vec<Method> = Vec::new();
    for route in routes().iter().filter(|route| matches(route, path)) {
        for method in &route.methods {
            if !methods.contains(method) {
                methods.push(method.clone());
            }
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_lists_its_methods_and_other_paths_none() {
        // `/users/me` is also a `/users/{id}`, which PATCH reaches.
        assert_eq!(allowed("/api/v1/users/me"), [Method::GET, Method::PATCH]);
        assert_eq!(
            allowed("/api/v1/campaigns/c_1/leads"),
            [Method::GET, Method::POST]
        );
        assert_eq!(allowed("/api/v1/users"), [Method::GET, Method::POST]);
        assert_eq!(
            allowed("/api/v1/subscriptions/sub_1"),
            [Method::GET, Method::DELETE]
        );
        assert_eq!(allowed("/healthz"), [Method::GET]);
        assert_eq!(allowed("/"), [Method::GET]);
        assert!(allowed("/api/v1/nothing-here").is_empty());
        assert!(allowed("/api/v1/subscriptions/").is_empty());
        assert!(allowed("/api/v1/users/me/extra").is_empty());
    }
}
