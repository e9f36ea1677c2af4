#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libvpmem exports exactly what its installed headers declare.

usage: check-exports.py CLANG INCLUDEDIR LIBVPMEM.so [--print]

Every function and variable declared (not static) in INCLUDEDIR/vpmem/*.h
must be a dynamic symbol of the library, versioned VPMEM_*, and the library
exports nothing else. Declarations come from clang's AST of one translation
unit that includes every header, so macros, comments and static inline
helpers cannot fool it. --print writes the declarations grouped by header,
in lib/libvpmem.sym's form, instead of checking.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


def declarations(clang, incdir):
    headers = sorted(os.path.basename(h) for h in glob.glob(os.path.join(incdir, 'vpmem', '*.h')))
    if not headers:
        sys.exit(f'error: no headers in {incdir}/vpmem')
    with tempfile.NamedTemporaryFile('w', suffix='.c', delete=False) as tu:
        tu.write(''.join(f'#include <vpmem/{h}>\n' for h in headers))
    try:
        out = subprocess.run([clang, '-Xclang', '-ast-dump=json', '-fsyntax-only', '-std=gnu11',
                              '-isystem', incdir, tu.name], check=True, capture_output=True).stdout
    finally:
        os.unlink(tu.name)
    ast = json.loads(out)
    # The dump names a location's file only when it differs from the last one
    # written, so follow every location in document order.
    cur = [None]

    def walk(o):
        if isinstance(o, dict):
            if 'file' in o:
                cur[0] = o['file']
            for k, v in o.items():
                if k != 'includedFrom':  # the includer, not this location
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    decls = {}  # name -> header
    for node in ast.get('inner', []):
        walk(node.get('loc'))
        here = cur[0]
        walk({k: v for k, v in node.items() if k != 'loc'})
        if node.get('kind') not in ('FunctionDecl', 'VarDecl') or node.get('isImplicit'):
            continue
        if not here or os.path.dirname(os.path.abspath(here)) != os.path.abspath(os.path.join(incdir, 'vpmem')):
            continue
        if node.get('storageClass') == 'static':
            continue  # static inline helpers are not symbols
        decls.setdefault(node['name'], os.path.basename(here))
    return decls


def exports(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True, capture_output=True, text=True).stdout
    syms, unversioned = set(), []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 3 or f[1] == 'A':  # version node names (VPMEM_0.1) are absolute symbols
            continue
        name, _, version = f[2].partition('@')
        syms.add(name)
        if not version.lstrip('@').startswith('VPMEM_'):
            unversioned.append(f[2])
    return syms, unversioned


def main():
    args = [a for a in sys.argv[1:] if a != '--print']
    if len(args) != 3:
        sys.exit(__doc__)
    clang, incdir, lib = args
    decls = declarations(clang, incdir)
    if '--print' in sys.argv:
        for h in sorted(set(decls.values())):
            print(f'\t/* {h} */')
            for n in sorted(n for n in decls if decls[n] == h):
                print(f'\t{n};')
        return 0
    syms, unversioned = exports(lib)
    bad = 0
    for n in sorted(set(decls) - syms):
        print(f"error: '{n}' is declared in <vpmem/{decls[n]}> but not exported (add it to lib/libvpmem.sym)")
        bad += 1
    for n in sorted(syms - set(decls)):
        print(f"error: '{n}' is exported but declared in no installed header (remove it from lib/libvpmem.sym)")
        bad += 1
    for s in unversioned:
        print(f"error: '{s}' is exported without a VPMEM_ version")
        bad += 1
    if len(decls) < 50:
        print(f'error: only {len(decls)} declarations found: the header scan is broken')
        bad += 1
    print(f'{len(decls)} declared, {len(syms)} exported, {bad} problems')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
