//! The manifest (rules R4–R15 of the corpus notes): where it is, what version, which
//! organisation and item launch, with which URL, scores, counts and description.

use crate::archive::Archive;
use crate::entry::FileEntry;
use crate::href;
use crate::inspection::{Inspection, Item};
use crate::refusal::{Refusal, RefusalKind};
use crate::xml::{self, attr, child, collapse, collapsed_text, is_adlcp, is_cp, is_imsss};
use roxmltree::{Document, Node};
use std::collections::HashMap;
use std::io::{Read, Seek};

const MANIFEST: &str = "imsmanifest.xml";
/// At most this many "missing file" warnings are listed.
const MAX_MISSING_WARNINGS: usize = 20;
/// Deepest nesting of `<item>`s accepted in the default organisation: a top-level item is at
/// depth 1. Far above real packages (rarely more than 6), and far below what the stored JSON
/// tree can be read back at (serde_json refuses more than 128 nested arrays and objects; each
/// item level is two).
pub const MAX_ITEM_DEPTH: usize = 32;

/// A resource of the manifest.
struct Resource<'a, 'i> {
    node: Node<'a, 'i>,
    identifier: String,
}

impl Resource<'_, '_> {
    fn href(&self) -> Option<&str> {
        attr(self.node, "href").map(str::trim).filter(|h| !h.is_empty())
    }

    fn scorm_type(&self) -> Option<String> {
        self.node
            .attributes()
            .find(|a| a.name().eq_ignore_ascii_case("scormtype") && a.namespace().is_some_and(xml::is_adlcp_uri))
            .map(|a| a.value().trim().to_ascii_lowercase())
    }
}

/// Reads the manifest of an opened package and computes every field.
pub(crate) fn read<R: Read + Seek>(archive: &mut Archive<R>) -> Result<Inspection, Refusal> {
    let mut warnings = Vec::new();
    let manifest_file = locate(&archive.files, &mut warnings)?;
    let bytes = archive.read_small(&manifest_file)?;
    let decoded = xml::decode(&bytes, MANIFEST)?;
    warnings.extend(decoded.warning.clone());
    let doc = xml::parse(&decoded.text, MANIFEST)?;
    let root = doc.root_element();
    if root.tag_name().name() != "manifest" {
        let pos = doc.text_pos_at(root.range().start);
        return Err(Refusal::new(
            RefusalKind::MalformedXml,
            format!(
                "{MANIFEST}: the root element is <{}> (line {}, column {}), not <manifest>",
                root.tag_name().name(),
                pos.row,
                pos.col
            ),
        ));
    }

    let metadata = child(root, |n| is_cp(n, "metadata"));
    let schemaversion_raw = metadata
        .and_then(|m| child(m, |n| is_cp(n, "schemaversion")))
        .map(|n| collapsed_text(n));
    let scorm_version = match schemaversion_raw.as_deref().and_then(version_from_text) {
        Some(v) => Some(v.to_owned()),
        None => {
            warnings.push(match &schemaversion_raw {
                Some(raw) => format!("unknown schemaversion {raw:?}; the version was inferred from namespaces"),
                None => "no schemaversion; the version was inferred from namespaces".to_owned(),
            });
            version_from_namespaces(&doc).map(|(version, _)| version.to_owned())
        }
    };
    if let Some(warning) = version_disagreement(schemaversion_raw.as_deref(), &doc) {
        warnings.push(warning);
    }

    let resources = resources(root);
    let organizations = child(root, |n| is_cp(n, "organizations"));
    let orgs: Vec<Node> = organizations
        .map(|o| o.children().filter(|n| is_cp(*n, "organization")).collect())
        .unwrap_or_default();
    let Some(&first_org) = orgs.first() else {
        return Err(Refusal::new(
            RefusalKind::NoLaunchableItem,
            format!("{MANIFEST} has no organization"),
        ));
    };
    let default = organizations
        .and_then(|o| attr(o, "default"))
        .map(collapse)
        .unwrap_or_default();
    let org = if default.is_empty() {
        first_org
    } else {
        match orgs
            .iter()
            .find(|o| attr(**o, "identifier").map(collapse).as_deref() == Some(default.as_str()))
        {
            Some(o) => *o,
            None => {
                warnings.push(format!(
                    "organizations/@default='{default}' names no organization; using the first"
                ));
                first_org
            }
        }
    };
    let organization_identifier = attr(org, "identifier").map(collapse);
    let title = child(org, |n| is_cp(n, "title"))
        .map(|t| collapsed_text(t))
        .filter(|t| !t.is_empty());

    let bases = [xml::xml_base(root), resources_base(root)];
    let items = item_forest(org, &resources, &bases)?;
    let all_items: Vec<Node> = org.descendants().filter(|n| is_cp(*n, "item")).collect();
    let resource_of = |item: Node| {
        attr(item, "identifierref")
            .map(collapse)
            .and_then(|r| resources.get(&r))
    };
    for item in &all_items {
        if let Some(reference) = attr(*item, "identifierref").map(collapse)
            && !resources.contains_key(&reference)
        {
            let id = attr(*item, "identifier").map(collapse).unwrap_or_default();
            warnings.push(format!(
                "item {id:?} references resource {reference:?}, which does not exist"
            ));
        }
    }
    let launch = all_items
        .iter()
        .find_map(|item| resource_of(*item).filter(|r| r.href().is_some()).map(|r| (*item, r)));
    let Some((launch_item, launch_resource)) = launch else {
        return Err(Refusal::new(
            RefusalKind::NoLaunchableItem,
            format!(
                "no item of organization {:?} launches a resource with an href",
                organization_identifier.as_deref().unwrap_or("")
            ),
        ));
    };

    let (launch_href, inside) = launch_url(&bases, launch_resource, Some(launch_item));
    let launch_file_present = inside
        && archive
            .paths
            .contains(&href::percent_decode(href::path_part(&launch_href)));

    let is_2004 = scorm_version.as_deref().is_some_and(|v| v.starts_with("2004"));
    let mastery_score = match scorm_version.as_deref() {
        Some("1.2") => child(launch_item, |n| is_adlcp(n, "masteryscore")).and_then(|n| number(&collapsed_text(n))),
        _ if is_2004 => passing_score(root, launch_item),
        _ => None,
    };
    let completion_threshold = if is_2004 {
        completion_threshold(launch_item)
    } else {
        None
    };

    let item_count = all_items.len();
    let sco_count = all_items
        .iter()
        .filter(|i| {
            resource_of(**i)
                .and_then(Resource::scorm_type)
                .is_some_and(|t| t == "sco")
        })
        .count();

    missing_file_warnings(&resources, &bases, archive, &mut warnings);
    let description = description(archive, metadata, child(org, |n| is_cp(n, "metadata")), &mut warnings)?;

    Ok(Inspection {
        scorm_version,
        schemaversion_raw,
        title,
        description,
        launch_href,
        launch_item_identifier: attr(launch_item, "identifier").map(collapse).unwrap_or_default(),
        launch_resource_identifier: launch_resource.identifier.clone(),
        launch_file_present,
        organization_identifier,
        manifest_encoding: decoded.encoding.clone(),
        mastery_score,
        completion_threshold,
        sco_count,
        item_count,
        file_count: archive.files.len(),
        total_uncompressed_bytes: archive.files.iter().map(|f| f.size).fold(0, u64::saturating_add),
        items,
        files: archive.files.clone(),
        warnings,
    })
}

/// R4: the manifest at the root (any letter case, with a warning), else say where it is.
fn locate(files: &[FileEntry], warnings: &mut Vec<String>) -> Result<FileEntry, Refusal> {
    if let Some(exact) = files.iter().find(|f| f.path == MANIFEST) {
        return Ok(exact.clone());
    }
    if let Some(other_case) = files.iter().find(|f| f.path.eq_ignore_ascii_case(MANIFEST)) {
        warnings.push(format!("the manifest is named {:?}, not {MANIFEST}", other_case.path));
        return Ok(other_case.clone());
    }
    let deeper = files
        .iter()
        .filter(|f| {
            f.path
                .rsplit('/')
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case(MANIFEST))
        })
        .min_by_key(|f| f.path.matches('/').count());
    match deeper {
        Some(found) => Err(Refusal::new(
            RefusalKind::ManifestNotAtRoot,
            format!("{MANIFEST} found at {}, not at the root", found.path),
        )),
        None => Err(Refusal::new(
            RefusalKind::NoManifest,
            format!("the package has no {MANIFEST}"),
        )),
    }
}

/// R6: the version named by the `<schemaversion>` text, compared case-insensitively.
fn version_from_text(raw: &str) -> Option<&'static str> {
    match raw.to_ascii_lowercase().as_str() {
        "1.2" | "scorm 1.2" => Some("1.2"),
        "cam 1.3" | "2004 2nd edition" => Some("2004 2nd Edition"),
        "2004 3rd edition" => Some("2004 3rd Edition"),
        "2004 4th edition" => Some("2004 4th Edition"),
        "2004" | "1.3" | "scorm 2004" | "scorm 1.3" => Some("2004"),
        _ => None,
    }
}

/// R6: the version inferred from the namespaces declared in the document (`"1.2"` or
/// `"2004"`), with the namespace that decided it.
fn version_from_namespaces<'d>(doc: &'d Document) -> Option<(&'static str, &'d str)> {
    let mut uris: Vec<&'d str> = doc
        .descendants()
        .filter(|n| n.is_element())
        .flat_map(|n| n.namespaces().map(|ns| ns.uri()))
        .collect();
    uris.sort_unstable();
    uris.dedup();
    let root_ns = doc.root_element().tag_name().namespace().unwrap_or_default();
    let find = |needle: &str| uris.iter().copied().find(|u| u.contains(needle));
    if let Some(uri) = find("adlcp_v1p3")
        .or_else(|| find("adlseq_v1p3"))
        .or_else(|| find("adlnav_v1p3"))
        .or_else(|| uris.iter().copied().find(|u| *u == xml::IMSSS))
    {
        Some(("2004", uri))
    } else if let Some(uri) = find("adlcp_rootv1p2") {
        Some(("1.2", uri))
    } else if root_ns == "http://www.imsproject.org/xsd/imscp_rootv1p1p2" {
        Some(("1.2", root_ns))
    } else if root_ns == "http://www.imsglobal.org/xsd/imscp_v1p1"
        || root_ns == "http://www.imsglobal.org/xsd/imscp_v1p2"
    {
        Some(("2004", root_ns))
    } else {
        None
    }
}

/// A warning when a known `<schemaversion>` names one SCORM generation (1.2 or 2004) and the
/// namespaces the other: the schemaversion is what the version is taken from, but the
/// manifest was probably copied from a package of the other generation.
fn version_disagreement(schemaversion: Option<&str>, doc: &Document) -> Option<String> {
    let raw = schemaversion?;
    let from_text = version_from_text(raw)?;
    let (from_namespaces, uri) = version_from_namespaces(doc)?;
    let generation = |v: &str| if v.starts_with("2004") { "2004" } else { "1.2" };
    if generation(from_text) == generation(from_namespaces) {
        return None;
    }
    Some(format!(
        "schemaversion {raw:?} is SCORM {}'s, but the namespaces are SCORM {from_namespaces}'s ({uri}); the version was taken from the schemaversion",
        generation(from_text)
    ))
}

fn resources_base<'a>(root: Node<'a, '_>) -> Option<&'a str> {
    child(root, |n| is_cp(n, "resources")).and_then(xml::xml_base)
}

/// manifest/resources/resource by normalised identifier (the first wins).
fn resources<'a, 'i>(root: Node<'a, 'i>) -> HashMap<String, Resource<'a, 'i>> {
    let mut map = HashMap::new();
    let Some(list) = child(root, |n| is_cp(n, "resources")) else {
        return map;
    };
    for node in list.children().filter(|n| is_cp(*n, "resource")) {
        let identifier = attr(node, "identifier").map(collapse).unwrap_or_default();
        map.entry(identifier.clone()).or_insert(Resource { node, identifier });
    }
    map
}

/// R10: base of manifest and resources (given), then the resource's own base and href, then
/// the item's parameters.
fn launch_url(bases: &[Option<&str>; 2], resource: &Resource, item: Option<Node>) -> (String, bool) {
    let all = [bases[0], bases[1], xml::xml_base(resource.node)];
    let (url, inside) = href::join(&all, resource.href().unwrap_or_default());
    let parameters = item.and_then(|i| attr(i, "parameters"));
    (href::with_parameters(url, parameters), inside)
}

/// R12 for 2004: the launch item's primary objective's minNormalizedMeasure when it is
/// satisfied by measure, looking through a sequencingCollection by IDRef when needed.
fn passing_score(root: Node, item: Node) -> Option<f64> {
    let objectives = objectives_of(root, item)?;
    let primary = child(objectives, |n| is_imsss(n, "primaryObjective"))?;
    let by_measure = attr(primary, "satisfiedByMeasure").map(str::trim);
    if !matches!(by_measure, Some("true" | "1")) {
        return None;
    }
    match child(primary, |n| is_imsss(n, "minNormalizedMeasure")) {
        Some(measure) => number(&collapsed_text(measure)),
        None => Some(1.0),
    }
}

/// The `imsss:objectives` of an item's sequencing, or of the `sequencingCollection` entry its
/// sequencing names by `IDRef`.
fn objectives_of<'a, 'i>(root: Node<'a, 'i>, item: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    let sequencing = child(item, |n| is_imsss(n, "sequencing"))?;
    child(sequencing, |n| is_imsss(n, "objectives")).or_else(|| {
        let id_ref = attr(sequencing, "IDRef").map(collapse)?;
        let collection = child(root, |n| is_imsss(n, "sequencingCollection"))?;
        let shared = collection
            .children()
            .find(|n| is_imsss(*n, "sequencing") && attr(*n, "ID").map(collapse).as_deref() == Some(id_ref.as_str()))?;
        child(shared, |n| is_imsss(n, "objectives"))
    })
}

/// The `objectiveID`s of an item's primary and other objectives, in document order, each once
/// (an objective without one, or with an empty one, is skipped).
fn objective_ids(item: Node) -> Vec<String> {
    let root = item.document().root_element();
    let Some(objectives) = objectives_of(root, item) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = Vec::new();
    for node in objectives
        .children()
        .filter(|n| is_imsss(*n, "primaryObjective") || is_imsss(*n, "objective"))
    {
        if let Some(id) = attr(node, "objectiveID").map(collapse).filter(|id| !id.is_empty())
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// R13: `adlcp:completionThreshold` of the launch item (4th edition attribute, else 3rd
/// edition text).
fn completion_threshold(item: Node) -> Option<f64> {
    let threshold = child(item, |n| is_adlcp(n, "completionThreshold"))?;
    match attr(threshold, "minProgressMeasure") {
        Some(value) => number(value),
        None => number(&collapsed_text(threshold)),
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The item tree of `org`, built without recursion (the input decides the depth).
///
/// # Errors
/// `items_too_deep` when an item is nested deeper than [`MAX_ITEM_DEPTH`].
fn item_forest(
    org: Node,
    resources: &HashMap<String, Resource>,
    bases: &[Option<&str>; 2],
) -> Result<Vec<Item>, Refusal> {
    let mut roots = Vec::new();
    // The items from a root to the one being filled, each still collecting its children.
    let mut open: Vec<Item> = Vec::new();
    // Items still to visit, next on top: a pre-order walk.
    let mut pending: Vec<(Node, usize)> = item_children(org, 1).collect();
    while let Some((node, depth)) = pending.pop() {
        if depth > MAX_ITEM_DEPTH {
            let id = attr(node, "identifier").map(collapse).unwrap_or_default();
            return Err(Refusal::new(
                RefusalKind::ItemsTooDeep,
                format!(
                    "{MANIFEST}: item {id:?} is nested {depth} levels deep in organization {:?}, more than the limit of {MAX_ITEM_DEPTH}",
                    attr(org, "identifier").map(collapse).unwrap_or_default()
                ),
            ));
        }
        // Close the items that are not ancestors of this one.
        while open.len() >= depth {
            let Some(done) = open.pop() else { break };
            attach(&mut open, &mut roots, done);
        }
        open.push(item_of(node, resources, bases));
        pending.extend(item_children(node, depth + 1));
    }
    while let Some(done) = open.pop() {
        attach(&mut open, &mut roots, done);
    }
    Ok(roots)
}

/// The `<item>` children of `node`, last first (so that popping visits them in order).
fn item_children<'a, 'i>(node: Node<'a, 'i>, depth: usize) -> impl Iterator<Item = (Node<'a, 'i>, usize)> {
    let children: Vec<_> = node.children().filter(|n| is_cp(*n, "item")).collect();
    children.into_iter().rev().map(move |n| (n, depth))
}

/// Adds a finished item to its parent (the last open item), or to the roots.
fn attach(open: &mut [Item], roots: &mut Vec<Item>, done: Item) {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => roots.push(done),
    }
}

/// One item without its children.
fn item_of(node: Node, resources: &HashMap<String, Resource>, bases: &[Option<&str>; 2]) -> Item {
    let resource = attr(node, "identifierref")
        .map(collapse)
        .and_then(|r| resources.get(&r));
    Item {
        identifier: attr(node, "identifier").map(collapse).unwrap_or_default(),
        title: child(node, |n| is_cp(n, "title"))
            .map(|t| collapsed_text(t))
            .filter(|t| !t.is_empty()),
        resource: resource.map(|r| r.identifier.clone()),
        href: resource
            .filter(|r| r.href().is_some())
            .map(|r| launch_url(bases, r, Some(node)).0),
        scorm_type: resource.and_then(Resource::scorm_type),
        visible: attr(node, "isvisible").is_none_or(|v| !matches!(v.trim(), "false" | "0")),
        objectives: objective_ids(node),
        children: Vec::new(),
    }
}

/// Warns about `<file href>` entries of resources that are not in the zip (the first
/// [`MAX_MISSING_WARNINGS`], then how many more), and once, with a count and an example,
/// about those written with backslashes (looked for with slashes: one found that way is not
/// also reported missing).
fn missing_file_warnings<R>(
    resources: &HashMap<String, Resource>,
    bases: &[Option<&str>; 2],
    archive: &Archive<R>,
    warnings: &mut Vec<String>,
) {
    let mut ordered: Vec<&Resource> = resources.values().collect();
    ordered.sort_by_key(|r| r.node.range().start);
    let mut missing = 0;
    // `<file href>` values written with backslashes: how many, and the first.
    let mut backslashed = 0usize;
    let mut example: Option<&str> = None;
    for resource in ordered {
        for file in resource.node.children().filter(|n| is_cp(*n, "file")) {
            let Some(file_href) = attr(file, "href").map(str::trim).filter(|h| !h.is_empty()) else {
                continue;
            };
            let all_bases = [bases[0], bases[1], xml::xml_base(resource.node)];
            let (url, inside) = href::join(&all_bases, file_href);
            let present = |url: &str| archive.paths.contains(&href::percent_decode(href::path_part(url)));
            if file_href.contains('\\') {
                backslashed += 1;
                example.get_or_insert(file_href);
                // Counted once below, not as missing, when the file is there with slashes.
                let (slashed, slashed_inside) = href::join(&all_bases, &file_href.replace('\\', "/"));
                if slashed_inside && present(&slashed) {
                    continue;
                }
            }
            if inside && !present(&url) {
                missing += 1;
                if missing <= MAX_MISSING_WARNINGS {
                    warnings.push(format!(
                        "resource {:?} lists file {url:?}, which is not in the package",
                        resource.identifier
                    ));
                }
            }
        }
    }
    if missing > MAX_MISSING_WARNINGS {
        warnings.push(format!(
            "{} more listed files are not in the package",
            missing - MAX_MISSING_WARNINGS
        ));
    }
    if let Some(example) = example {
        let files = if backslashed == 1 { "value uses" } else { "values use" };
        // Quoted as written: a backslash shown doubled would mislead.
        let example: String = example
            .chars()
            .take(200)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        warnings.push(format!(
            "{backslashed} <file href> {files} backslashes, e.g. '{example}'; paths in a package are separated by '/' (those files were looked for with '/' instead)"
        ));
    }
}

/// R15: inline LOM of the manifest metadata, its `adlcp:location` file, then the same for the
/// default organisation's metadata.
fn description<R: Read + Seek>(
    archive: &mut Archive<R>,
    manifest_metadata: Option<Node>,
    org_metadata: Option<Node>,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, Refusal> {
    for metadata in [manifest_metadata, org_metadata].into_iter().flatten() {
        if let Some(text) = metadata
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == "lom")
            .and_then(lom_description)
        {
            return Ok(Some(text));
        }
        let Some(location) = child(metadata, |n| is_adlcp(n, "location")).map(|n| collapsed_text(n)) else {
            continue;
        };
        let path = href::percent_decode(&location);
        let Some(file) = archive.files.iter().find(|f| f.path == path).cloned() else {
            warnings.push(format!(
                "metadata file {location:?} named by adlcp:location is not in the package"
            ));
            continue;
        };
        let bytes = archive.read_small(&file)?;
        let parsed = xml::decode(&bytes, &file.path).and_then(|decoded| {
            warnings.extend(decoded.warning);
            let doc = xml::parse(&decoded.text, &file.path)?;
            Ok(doc
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "lom")
                .and_then(lom_description))
        });
        match parsed {
            Ok(Some(text)) => return Ok(Some(text)),
            Ok(None) => {}
            Err(refusal) => warnings.push(format!("metadata file {location:?} was skipped: {}", refusal.message)),
        }
    }
    Ok(None)
}

/// general/description/(langstring|string): the first non-empty, trimmed.
fn lom_description(lom: Node) -> Option<String> {
    let named = |node: Node, name: &str| node.is_element() && node.tag_name().name() == name;
    let general = lom.children().find(|n| named(*n, "general"))?;
    let description = general.children().find(|n| named(*n, "description"))?;
    description
        .children()
        .filter(|n| named(*n, "langstring") || named(*n, "string"))
        .map(|n| {
            n.descendants()
                .filter(|t| t.is_text())
                .filter_map(|t| t.text())
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .find(|t| !t.is_empty())
}
