// The queue's "select every record on this page" box. Listening on the document keeps it working
// after htmx swaps the results in.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll || !box.form) {
    return;
  }
  box.form.querySelectorAll('input[type="checkbox"][name="' + box.dataset.selectAll + '"]')
    .forEach(function (row) { row.checked = box.checked; });
});
