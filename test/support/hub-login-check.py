# Run inside the real hub by ../shared/hub-runtime (`run-hub-config.sh DIST --exec FILE`): asks the
# configured authenticator (jupyterhub 4.0.2, oauthenticator 16.1.0) the login questions README
# "How people get in and out" answers. The test prepends `PARAMS = {...}` (user names to ask about).
# Returns JSON-able facts; the test asserts on them.


def _model(name, verified):
    # What OAuthenticator 16.1.0 `authenticate` builds from Auth0's /userinfo (oauth2.py): the
    # whole userinfo under auth_state[user_auth_state_key] ("auth0_user" for Auth0).
    info = {"email": name, "sub": "auth0|" + name}
    if verified is not None:
        info["email_verified"] = verified
    return {"name": name, "admin": None, "auth_state": {"auth0_user": info, "access_token": "x"}}


async def _login(app, name, verified):
    """The login path after Auth0: update_auth_model, then check_allowed (as OAuthenticator does)."""
    a = app.authenticator
    name = a.normalize_username(name)
    model = await a.update_auth_model(_model(name, verified))
    return {"allowed": bool(await a.check_allowed(name, model)), "admin": model.get("admin")}


def _db_user(app, name, admin):
    from jupyterhub import orm

    orm_user = orm.User.find(app.db, name)
    if orm_user is None:
        orm_user = orm.User(name=name)
        app.db.add(orm_user)
    orm_user.admin = admin
    app.db.commit()
    return app.users[orm_user]


async def check(app):
    from jupyterhub import orm
    from jupyterhub.scopes import get_scopes_for

    a = app.authenticator
    p = PARAMS  # noqa: F821 (prepended by the test)
    out = {
        "class": type(a).__name__,
        "auth_refresh_age": a.auth_refresh_age,
        "logout_redirect_url": a.logout_redirect_url,
        "login": {},
        "refresh": {},
        "startup": {},
        "scopes": {},
    }
    for label, (name, verified) in p["logins"].items():
        out["login"][label] = await _login(app, name, verified)

    # A user removed from the allowlist who is still in the hub database: at the next hub start
    # JupyterHub adds every database user to allowed_users (auth.py add_user); ask again.
    removed = _db_user(app, a.normalize_username(p["removed"]), False)
    added = a.add_user(removed)
    if hasattr(added, "__await__"):
        await added
    out["removed_in_allowed_users_after_add_user"] = removed.name in a.allowed_users
    out["login"]["removed"] = await _login(app, removed.name, True)
    out["refresh"]["removed"] = await a.refresh_user(removed)

    # An admin removed from adminUsers whose database row still says admin.
    demoted = _db_user(app, a.normalize_username(p["demoted"]), True)
    out["refresh"]["demoted"] = await a.refresh_user(demoted)
    # ... and what JupyterHub's own start-up role assignment does with it (app.py).
    from jupyterhub import roles
    roles.grant_role(app.db, demoted.orm_user, "admin")
    app.db.commit()
    await app.init_role_assignment()
    app.db.refresh(demoted.orm_user)
    out["startup"]["demoted_admin_flag"] = bool(demoted.orm_user.admin)
    out["startup"]["demoted_roles"] = sorted(r.name for r in demoted.orm_user.roles)

    for label in ("admin", "user"):
        orm_user = orm.User.find(app.db, a.normalize_username(p[label]))
        if orm_user is None:
            out["scopes"][label] = None
            continue
        user = app.users[orm_user]
        out["refresh"][label] = await a.refresh_user(user)
        scopes = get_scopes_for(orm_user)
        out["scopes"][label] = {
            "admin_flag": bool(orm_user.admin),
            "roles": sorted(r.name for r in orm_user.roles),
            "admin-ui": "admin-ui" in scopes,
            "admin:users": "admin:users" in scopes,
            "admin:servers": "admin:servers" in scopes,
            "access:servers": "access:servers" in scopes,
            "tokens": "tokens" in scopes,
        }
    return out
