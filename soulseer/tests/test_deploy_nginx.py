"""deploy/nginx/soulseer.conf passes `nginx -t` (Debian's nginx, a self-signed certificate in a temp dir)."""

from soulseer.tests import edge_support as edge


def test_the_nginx_site_config_passes_nginx_t(tmp_path):
    cert, key = edge.self_signed_cert(tmp_path)
    for folder in ("static", "media", "private"):
        (tmp_path / folder).mkdir()
    site = edge.render_site(
        static_root=tmp_path / "static",
        media_root=tmp_path / "media",
        private_root=tmp_path / "private",
        cert=cert,
        key=key,
        http_port=edge.free_port(),
        https_port=edge.free_port(),
        upstreams=[edge.free_port(), edge.free_port()],
        snippets=tmp_path / "prefix" / "snippets",
    )
    conf = edge.write_config(tmp_path / "prefix", site, brotli=edge.brotli_available())
    result = edge.nginx_test(tmp_path / "prefix", conf)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_the_brotli_snippet_passes_nginx_t_where_the_modules_exist(tmp_path):
    """Debian's brotli modules are installed by the scripts; the snippet is checked with them."""
    assert edge.brotli_available(), "install libnginx-mod-http-brotli-filter and -static (scripts/test.sh does)"
    test_the_nginx_site_config_passes_nginx_t(tmp_path)
    assert "brotli on;" in (tmp_path / "prefix" / "snippets" / "soulseer-brotli.conf").read_text()
