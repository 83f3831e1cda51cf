//! Declarations: `actor`/`resource` blocks and `declare` statements.
//!
//! Builds the [`Schema`]: which entity types exist, each resource's roles,
//! permissions and relations, and the declared column types of base
//! relations (including the implicit `has_role` and `has_relation`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::ast::{Block, BlockKind, BlockMember, Declare, Ident, Item, Policy, Span};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::program::{ColumnType, TypeTest};

/// Names that may not name a type or predicate.
pub const RESERVED: [&str; 6] = ["if", "and", "or", "not", "true", "false"];
/// Built-in type names usable as specializers and column types.
const BUILTIN_TYPES: [&str; 5] = ["Actor", "Resource", "String", "Integer", "Boolean"];

/// What a resource (or actor) block declares.
#[derive(Clone, Debug, Default)]
pub struct TypeInfo {
    /// Actor or resource.
    pub is_actor: bool,
    /// Role names.
    pub roles: BTreeSet<String>,
    /// Permission names.
    pub permissions: BTreeSet<String>,
    /// Relation name to related type.
    pub relations: BTreeMap<String, Arc<str>>,
    /// Where the block's name is written.
    pub span: Span,
}

/// The declarations of a policy.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Declared entity types.
    pub types: BTreeMap<Arc<str>, TypeInfo>,
    /// Declared base relations: column types and the span of the declaration.
    pub declared: BTreeMap<Arc<str>, (Vec<ColumnType>, Span)>,
}

impl Schema {
    /// Types declared by `actor` blocks.
    pub fn actor_types(&self) -> BTreeSet<Arc<str>> {
        self.types
            .iter()
            .filter(|(_, info)| info.is_actor)
            .map(|(name, _)| Arc::clone(name))
            .collect()
    }

    /// Types declared by `resource` blocks.
    pub fn resource_types(&self) -> BTreeSet<Arc<str>> {
        self.types
            .iter()
            .filter(|(_, info)| !info.is_actor)
            .map(|(name, _)| Arc::clone(name))
            .collect()
    }

    /// The type test for a specializer name, or `None` if it names no type.
    pub fn type_test(&self, name: &str) -> Option<TypeTest> {
        match name {
            "Actor" => Some(TypeTest::Entity(self.actor_types())),
            "Resource" => Some(TypeTest::Entity(self.resource_types())),
            "String" => Some(TypeTest::String),
            "Integer" => Some(TypeTest::Integer),
            "Boolean" => Some(TypeTest::Boolean),
            name => self
                .types
                .get_key_value(name)
                .map(|(k, _)| TypeTest::Entity(BTreeSet::from([Arc::clone(k)]))),
        }
    }

    /// The column type for a name in a `declare`, or `None`.
    fn column_type(&self, name: &str) -> Option<ColumnType> {
        match name {
            "Actor" => Some(ColumnType::Actor),
            "Resource" => Some(ColumnType::Resource),
            "String" => Some(ColumnType::String),
            "Integer" => Some(ColumnType::Integer),
            "Boolean" => Some(ColumnType::Boolean),
            name => self
                .types
                .get_key_value(name)
                .map(|(k, _)| ColumnType::Entity(Arc::clone(k))),
        }
    }

    /// Whether `name` is a declared entity type.
    pub fn is_entity_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// A help line listing the declared entity types.
    pub fn types_help(&self) -> String {
        if self.types.is_empty() {
            "declare the type with an `actor` or `resource` block".to_string()
        } else {
            let names: Vec<&str> = self.types.keys().map(|k| &**k).collect();
            format!(
                "declared types are {}; declare new ones with an `actor` or `resource` block",
                names.join(", ")
            )
        }
    }
}

/// Collects blocks and declarations, reporting duplicates and unknown types.
pub fn collect(file: &Arc<SourceFile>, policy: &Policy, errors: &mut Diagnostics) -> Schema {
    let mut schema = Schema::default();
    let blocks: Vec<&Block> = policy
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Block(b) => Some(b),
            _ => None,
        })
        .collect();
    for block in &blocks {
        declare_type(file, &mut schema, block, errors);
    }
    for block in &blocks {
        collect_members(file, &mut schema, block, errors);
    }
    for item in &policy.items {
        if let Item::Declare(declare) = item {
            declare_relation(file, &mut schema, declare, errors);
        }
    }
    let any_resource = schema.types.values().any(|t| !t.is_actor);
    if any_resource {
        for (name, columns) in [
            (
                "has_role",
                vec![ColumnType::Actor, ColumnType::String, ColumnType::Resource],
            ),
            (
                "has_relation",
                vec![
                    ColumnType::Resource,
                    ColumnType::String,
                    ColumnType::Resource,
                ],
            ),
        ] {
            schema
                .declared
                .entry(Arc::from(name))
                .or_insert((columns, Span::default()));
        }
    }
    schema
}

fn check_name(file: &Arc<SourceFile>, ident: &Ident, what: &str, errors: &mut Diagnostics) -> bool {
    if RESERVED.contains(&ident.name.as_str()) || ident.name == "_" {
        errors.push(
            Diagnostic::new(
                file,
                ident.span,
                format!("`{}` is reserved and cannot name {what}", ident.name),
            )
            .with_help("choose another name"),
        );
        return false;
    }
    true
}

fn declare_type(
    file: &Arc<SourceFile>,
    schema: &mut Schema,
    block: &Block,
    errors: &mut Diagnostics,
) {
    let name = &block.name;
    if !check_name(file, name, "a type", errors) {
        return;
    }
    if BUILTIN_TYPES.contains(&name.name.as_str()) {
        errors.push(
            Diagnostic::new(
                file,
                name.span,
                format!(
                    "`{}` is a built-in type and cannot be redeclared",
                    name.name
                ),
            )
            .with_help("choose another name for this block"),
        );
        return;
    }
    if let Some(previous) = schema.types.get(name.name.as_str()) {
        errors.push(
            Diagnostic::new(
                file,
                name.span,
                format!("type `{}` is declared twice", name.name),
            )
            .with_related(previous.span, "first declared here")
            .with_help("merge the two blocks into one"),
        );
        return;
    }
    schema.types.insert(
        Arc::from(name.name.as_str()),
        TypeInfo {
            is_actor: block.kind == BlockKind::Actor,
            span: name.span,
            ..TypeInfo::default()
        },
    );
}

fn collect_members(
    file: &Arc<SourceFile>,
    schema: &mut Schema,
    block: &Block,
    errors: &mut Diagnostics,
) {
    // Only the first block of a duplicated type is collected.
    match schema.types.get(block.name.name.as_str()) {
        Some(info) if info.span == block.name.span => {}
        _ => return,
    }
    let mut info = TypeInfo::default();
    let mut seen_lists: HashMap<&str, Span> = HashMap::new();
    for member in &block.members {
        let (list, names, span) = match member {
            BlockMember::Roles(names, span) => ("roles", names, span),
            BlockMember::Permissions(names, span) => ("permissions", names, span),
            BlockMember::Relations(relations, span) => {
                if let Some(previous) = seen_lists.insert("relations", *span) {
                    errors.push(
                        Diagnostic::new(file, *span, "`relations` is given twice in this block")
                            .with_related(previous, "first given here")
                            .with_help("list every relation in one `relations = { … };`"),
                    );
                }
                for (rel, ty) in relations {
                    if !schema.is_entity_type(&ty.name) {
                        errors.push(
                            Diagnostic::new(
                                file,
                                ty.span,
                                format!("unknown entity type `{}`", ty.name),
                            )
                            .with_help(schema.types_help()),
                        );
                        continue;
                    }
                    if info
                        .relations
                        .insert(rel.name.clone(), Arc::from(ty.name.as_str()))
                        .is_some()
                    {
                        errors.push(
                            Diagnostic::new(
                                file,
                                rel.span,
                                format!("relation `{}` is listed twice", rel.name),
                            )
                            .with_help("remove one of them"),
                        );
                    }
                }
                continue;
            }
            BlockMember::Shorthand(_) => continue,
        };
        if let Some(previous) = seen_lists.insert(list, *span) {
            errors.push(
                Diagnostic::new(
                    file,
                    *span,
                    format!("`{list}` is given twice in this block"),
                )
                .with_related(previous, "first given here")
                .with_help(format!("list every name in one `{list} = [ … ];`")),
            );
        }
        for name in names {
            let (this, other, other_kind) = if list == "roles" {
                (&mut info.roles, &info.permissions, "permission")
            } else {
                (&mut info.permissions, &info.roles, "role")
            };
            if other.contains(&name.value) {
                errors.push(
                    Diagnostic::new(
                        file,
                        name.span,
                        format!(
                            "`{}` is both a role and a permission of `{}`",
                            name.value, block.name.name
                        ),
                    )
                    .with_help(format!(
                        "a name is either a role or a permission; rename this one or the {other_kind}"
                    )),
                );
            } else if !this.insert(name.value.clone()) {
                errors.push(
                    Diagnostic::new(file, name.span, format!("`{}` is listed twice", name.value))
                        .with_help("remove one of them"),
                );
            }
        }
    }
    if let Some(entry) = schema.types.get_mut(block.name.name.as_str()) {
        entry.roles = info.roles;
        entry.permissions = info.permissions;
        entry.relations = info.relations;
    }
}

fn declare_relation(
    file: &Arc<SourceFile>,
    schema: &mut Schema,
    declare: &Declare,
    errors: &mut Diagnostics,
) {
    if !check_name(file, &declare.name, "a predicate", errors) {
        return;
    }
    let mut columns = Vec::new();
    let mut ok = true;
    for param in &declare.params {
        match schema.column_type(&param.name) {
            Some(column) => columns.push(column),
            None => {
                ok = false;
                errors.push(
                    Diagnostic::new(
                        file,
                        param.span,
                        format!("unknown type `{}` in declaration", param.name),
                    )
                    .with_help(format!(
                        "a column is `String`, `Integer`, `Boolean`, `Actor`, `Resource` or an entity type; {}",
                        schema.types_help()
                    )),
                );
            }
        }
    }
    if let Some((_, previous)) = schema.declared.get(declare.name.name.as_str()) {
        errors.push(
            Diagnostic::new(
                file,
                declare.name.span,
                format!("`{}` is declared twice", declare.name.name),
            )
            .with_related(*previous, "first declared here")
            .with_help("keep one declaration"),
        );
        return;
    }
    if ok {
        schema.declared.insert(
            Arc::from(declare.name.name.as_str()),
            (columns, declare.span),
        );
    }
}
