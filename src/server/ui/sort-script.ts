/**
 * The one inline script: sorts a `table.sortable` in place when a header link
 * is clicked (the same links sort on the server without script). Cells carry
 * their sort key in `data-v`; numbers sort numerically, then text. A missing value is `-Infinity`,
 * first when ascending, as the server sorts it. Ties keep the stored check order (the rows' `data-i`), as the
 * server's sort does, so the address the script writes shows the same order when reloaded.
 */
export const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('thead th[data-col]').forEach(function (th) {
    var a = th.querySelector('a.sort');
    if (!a) return;
    a.addEventListener('click', function (ev) {
      ev.preventDefault();
      var col = Array.prototype.indexOf.call(th.parentNode.children, th);
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (r1, r2) {
        var a1 = r1.cells[col] ? r1.cells[col].getAttribute('data-v') || '' : '';
        var b1 = r2.cells[col] ? r2.cells[col].getAttribute('data-v') || '' : '';
        var na = parseFloat(a1), nb = parseFloat(b1);
        var c = (!isNaN(na) && !isNaN(nb)) ? (na === nb ? 0 : na < nb ? -1 : 1) : (isNaN(na) ? (isNaN(nb) ? a1.localeCompare(b1) : 1) : -1);
        return c !== 0 ? c * dir : (+r1.getAttribute('data-i') || 0) - (+r2.getAttribute('data-i') || 0);
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var u = new URL(a.href);
      u.searchParams.set('dir', dir === 1 ? 'asc' : 'desc');
      history.replaceState(null, '', u.pathname + u.search);
      u.searchParams.set('dir', dir === 1 ? 'desc' : 'asc');
      a.href = u.pathname + u.search;
    });
  });
});
`;
