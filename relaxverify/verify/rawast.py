"""Z3 terms read through the C API, without a wrapper object per node.

z3py's readers (`is_app`, `children`, `decl().kind()`) build a Python object and
check for an error on every call; walking the facts of a function that way cost
more than Z3 took to decide them (issue 14). The ctypes functions below are
called directly: they read live terms and cannot fail.
"""
from __future__ import annotations

from typing import Iterator

import z3
from z3 import z3core


def raw(api):
    """The ctypes function behind a z3core wrapper, without its error check; the
    wrapper if it has none."""
    elements = (api.__defaults__ or (None,))[-1]
    return getattr(elements, "f", api)


ast_id = raw(z3core.Z3_get_ast_id)
ast_kind = raw(z3core.Z3_get_ast_kind)
app_decl = raw(z3core.Z3_get_app_decl)
num_args = raw(z3core.Z3_get_app_num_args)
app_arg = raw(z3core.Z3_get_app_arg)
decl_kind = raw(z3core.Z3_get_decl_kind)
decl_ast = raw(z3core.Z3_func_decl_to_ast)
quantifier_body = raw(z3core.Z3_get_quantifier_body)
is_forall = raw(z3core.Z3_is_quantifier_forall)


def app_kind(ctx, a) -> int:
    """The declaration kind of an application (Z3_OP_...); -1 for any other AST."""
    if ast_kind(ctx, a) != z3.Z3_APP_AST:
        return -1
    return decl_kind(ctx, app_decl(ctx, a))


def nodes(t: z3.ExprRef, into_binders: bool = False) -> Iterator[tuple[int, int, object]]:
    """(id, kind, raw AST) of each distinct subterm of `t`, depth first; a quantifier's
    body only `into_binders` (below a binder the terms have bound variables)."""
    ref = t.ctx.ref()
    seen: set = set()
    stack = [t.as_ast()]
    while stack:
        a = stack.pop()
        aid = ast_id(ref, a)
        if aid in seen:
            continue
        seen.add(aid)
        kind = ast_kind(ref, a)
        yield aid, kind, a
        if kind == z3.Z3_APP_AST:
            stack.extend(app_arg(ref, a, k) for k in range(num_args(ref, a)))
        elif into_binders and kind == z3.Z3_QUANTIFIER_AST:
            stack.append(quantifier_body(ref, a))


def find(t: z3.ExprRef, wanted) -> list:
    """The distinct subterms `s` of `t`, not below binders, with `wanted(ctx, s)`
    (a raw AST), as z3py terms; a quantifier is visited, its body is not."""
    ctx = t.ctx
    ref = ctx.ref()
    return [z3.z3._to_expr_ref(a, ctx) for _, _, a in nodes(t) if wanted(ref, a)]
