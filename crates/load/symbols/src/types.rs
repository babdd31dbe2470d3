//! Struct layouts from a PDB's type stream (TPI), through `pdb2`: the size of a named struct
//! and the offsets of its fields, as `dt module!_STRUCT` shows them. A forward reference (the
//! `LF_STRUCTURE` a pointer or a member names before the definition) is resolved to the full
//! definition of the same name; members whose type is itself a struct or union are descended
//! into (`Segment.SegmentListEntry`), anonymous ones with their fields also named bare, as
//! WinDbg does.
//!
//! Bounded: [`MAX_DEPTH`] levels of nesting, [`MAX_FIELDS`] fields per struct, [`MAX_CHAIN`]
//! continued field lists; a panic of the parser on a hostile file is a corrupt file.

use crate::SymError;
use pdb2::FallibleIterator;
use std::collections::HashMap;
use std::io::{Read, Seek};

/// Levels of nested structs descended into.
pub const MAX_DEPTH: usize = 4;
/// Fields recorded per struct (nested ones included).
pub const MAX_FIELDS: usize = 4096;
/// Continuation field lists followed per struct or union.
pub const MAX_CHAIN: usize = 64;

/// One field: its path from the struct (`Segment.SegmentListEntry`) and offset in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub path: String,
    pub offset: u64,
}

/// A struct's size and fields, nested ones flattened with their full offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    pub name: String,
    pub size: u64,
    /// In declaration order, each struct member followed by its own fields.
    pub fields: Vec<Field>,
}

impl StructLayout {
    /// The offset of `field`: its full path (`Segment.BaseAddress`), else the shallowest field
    /// of that name (`BaseAddress`, `Flags`).
    pub fn offset(&self, field: &str) -> Option<u64> {
        if let Some(f) = self.fields.iter().find(|f| f.path == field) {
            return Some(f.offset);
        }
        self.fields
            .iter()
            .filter(|f| f.path.rsplit('.').next() == Some(field))
            .min_by_key(|f| f.path.matches('.').count())
            .map(|f| f.offset)
    }
}

/// The layouts read from one PDB, with its identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeLayouts {
    /// The PDB's file name (`ntdll.pdb`).
    pub pdb_name: String,
    /// Its GUID + age (Breakpad form).
    pub debug_id: String,
    /// The structs asked for that the PDB defines, in the order asked.
    pub structs: Vec<StructLayout>,
}

impl TypeLayouts {
    /// The layout of struct `name`, when the PDB defines it.
    pub fn get(&self, name: &str) -> Option<&StructLayout> {
        self.structs.iter().find(|s| s.name == name)
    }
}

fn corrupt(e: pdb2::Error) -> SymError {
    SymError::Corrupt(format!("PDB type stream: {e}"))
}

/// Reads the layouts of `names` from a PDB (structs it does not define are left out).
/// `expected`: the module's debug id; a PDB of another build is [`SymError::Mismatch`].
pub(crate) fn read<S>(
    src: S,
    pdb_name: &str,
    names: &[&str],
    expected: Option<&str>,
) -> Result<TypeLayouts, SymError>
where
    S: Read + Seek + std::fmt::Debug + Send + 'static,
{
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let pdb_name = pdb_name.to_string();
    let expected = expected.map(str::to_string);
    match coroner_model::guard::catch_quiet(move || {
        read_inner(src, &pdb_name, &names, expected.as_deref())
    }) {
        Ok(r) => r,
        Err(why) => Err(SymError::Corrupt(format!(
            "PDB parser failed on this file's types ({why})"
        ))),
    }
}

fn read_inner<S>(
    src: S,
    pdb_name: &str,
    names: &[String],
    expected: Option<&str>,
) -> Result<TypeLayouts, SymError>
where
    S: Read + Seek + std::fmt::Debug + Send + 'static,
{
    let mut pdb = pdb2::PDB::open(src).map_err(|e| SymError::Corrupt(format!("PDB: {e}")))?;
    let (debug_id, _) = crate::pdb::identity(&mut pdb, expected)?;
    let tpi = pdb.type_information().map_err(corrupt)?;
    let mut finder = tpi.finder();
    // Full definitions (not forward references) of structs and unions, by name.
    let mut defined: HashMap<String, pdb2::TypeIndex> = HashMap::new();
    let mut it = tpi.iter();
    while let Some(t) = it.next().map_err(corrupt)? {
        finder.update(&it);
        let (name, forward) = match t.parse() {
            Ok(pdb2::TypeData::Class(c)) => (c.name, c.properties.forward_reference()),
            Ok(pdb2::TypeData::Union(u)) => (u.name, u.properties.forward_reference()),
            _ => continue,
        };
        if !forward {
            defined
                .entry(name.to_string().into_owned())
                .or_insert(t.index());
        }
    }
    let types = Types {
        finder: &finder,
        defined: &defined,
    };
    let mut structs = Vec::new();
    for name in names {
        if let Some(&index) = defined.get(name) {
            let mut fields = Vec::new();
            let size = types.walk(index, "", 0, 0, &mut fields)?.unwrap_or(0);
            structs.push(StructLayout {
                name: name.clone(),
                size,
                fields,
            });
        }
    }
    Ok(TypeLayouts {
        pdb_name: pdb_name.to_string(),
        debug_id,
        structs,
    })
}

struct Types<'a, 't> {
    finder: &'a pdb2::TypeFinder<'t>,
    defined: &'a HashMap<String, pdb2::TypeIndex>,
}

impl Types<'_, '_> {
    /// The struct or union at `index` (its full definition when `index` is a forward
    /// reference): its size and field list, `None` for any other type.
    fn aggregate(
        &self,
        index: pdb2::TypeIndex,
    ) -> Result<Option<(u64, Option<pdb2::TypeIndex>)>, SymError> {
        let data = match self.finder.find(index).and_then(|t| t.parse()) {
            Ok(d) => d,
            // Primitive types and indexes the stream does not hold are no aggregate.
            Err(_) => return Ok(None),
        };
        let (name, forward, size, fields) = match data {
            pdb2::TypeData::Class(c) => {
                (c.name, c.properties.forward_reference(), c.size, c.fields)
            }
            pdb2::TypeData::Union(u) => (
                u.name,
                u.properties.forward_reference(),
                u.size,
                Some(u.fields),
            ),
            _ => return Ok(None),
        };
        if !forward {
            return Ok(Some((size, fields)));
        }
        match self.defined.get(name.to_string().as_ref()) {
            Some(&full) if full != index => self.aggregate(full),
            _ => Ok(None),
        }
    }

    /// Records the fields of the aggregate at `index`, laid at `base`, under `prefix`; returns
    /// its size (`None`: not an aggregate).
    fn walk(
        &self,
        index: pdb2::TypeIndex,
        prefix: &str,
        base: u64,
        depth: usize,
        out: &mut Vec<Field>,
    ) -> Result<Option<u64>, SymError> {
        let Some((size, list)) = self.aggregate(index)? else {
            return Ok(None);
        };
        let mut next = list;
        for _ in 0..MAX_CHAIN {
            let Some(l) = next else { break };
            let data = self
                .finder
                .find(l)
                .and_then(|t| t.parse())
                .map_err(corrupt)?;
            let pdb2::TypeData::FieldList(fl) = data else {
                return Err(SymError::Corrupt(format!(
                    "PDB type stream: type {} is not a field list",
                    l.0
                )));
            };
            for f in &fl.fields {
                if let pdb2::TypeData::Member(m) = f {
                    self.member(m, prefix, base, depth, out)?;
                }
            }
            next = fl.continuation;
        }
        Ok(Some(size))
    }

    fn member(
        &self,
        m: &pdb2::MemberType<'_>,
        prefix: &str,
        base: u64,
        depth: usize,
        out: &mut Vec<Field>,
    ) -> Result<(), SymError> {
        if out.len() >= MAX_FIELDS {
            return Ok(());
        }
        let name = m.name.to_string();
        let offset = base.saturating_add(m.offset);
        // An anonymous member (`<unnamed-tag>`, or no name) lends its fields to its parent.
        let anonymous = name.is_empty() || name.starts_with('<');
        let path = match (anonymous, prefix.is_empty()) {
            (true, _) => prefix.to_string(),
            (false, true) => name.into_owned(),
            (false, false) => format!("{prefix}.{name}"),
        };
        if !anonymous {
            out.push(Field {
                path: path.clone(),
                offset,
            });
        }
        if depth < MAX_DEPTH {
            self.walk(m.field_type, &path, offset, depth + 1, out)?;
        }
        Ok(())
    }
}
