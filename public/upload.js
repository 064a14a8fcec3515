// Executed-document upload: drag and drop onto the form, a size check before sending, and a
// progress bar while the file goes up. Progressive enhancement: without this script the form is
// a plain multipart POST and works the same, only without progress. Listeners sit on the
// document, so forms rendered later by client-side navigation are handled too.
(() => {
  "use strict";

  const mb = (n) => (n / (1024 * 1024)).toFixed(1);
  const formOf = (e) => e.target instanceof Element && e.target.closest("form[data-upload]");
  const part = (form, sel) => form.querySelector(sel);

  function say(form, text, isError) {
    const status = part(form, "[data-upload-status]");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("field-error", !!isError);
  }

  function chosen(form) {
    const input = part(form, 'input[type="file"]');
    const f = input && input.files && input.files[0];
    say(form, f ? `${f.name} (${mb(f.size)} MB) ready to upload.` : "", false);
  }

  for (const ev of ["dragenter", "dragover"]) {
    document.addEventListener(ev, (e) => {
      const form = formOf(e);
      if (!form) return;
      e.preventDefault();
      form.classList.add("dragging");
    });
  }
  for (const ev of ["dragleave", "dragend"]) {
    document.addEventListener(ev, (e) => {
      const form = formOf(e);
      if (form) form.classList.remove("dragging");
    });
  }

  document.addEventListener("drop", (e) => {
    const form = formOf(e);
    if (!form) return;
    e.preventDefault();
    form.classList.remove("dragging");
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      say(form, "Drop one PDF at a time.", true);
      return;
    }
    part(form, 'input[type="file"]').files = files;
    chosen(form);
  });

  document.addEventListener("change", (e) => {
    const form = formOf(e);
    if (form && e.target.matches('input[type="file"]')) chosen(form);
  });

  document.addEventListener("submit", (e) => {
    const form = formOf(e);
    if (!form) return;
    const input = part(form, 'input[type="file"]');
    const bar = part(form, "progress");
    const button = part(form, 'button[type="submit"]');
    const f = input && input.files && input.files[0];
    if (!f || !bar || !button) return; // the browser's own "required" message shows
    e.preventDefault();
    const max = Number(form.dataset.maxBytes || "0");
    if (max > 0 && f.size > max) {
      say(form, `${f.name} is ${mb(f.size)} MB, over the ${mb(max)} MB limit. Nothing was uploaded.`, true);
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("x-upload", "xhr");
    xhr.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    say(form, `Uploading ${f.name}: 0%`, false);
    const fail = (text) => {
      button.disabled = false;
      bar.hidden = true;
      say(form, text, true);
    };
    xhr.upload.addEventListener("progress", (p) => {
      if (!p.lengthComputable) return;
      const pct = Math.round((p.loaded / p.total) * 100);
      bar.value = pct;
      say(form, `Uploading ${f.name}: ${pct}% (${mb(p.loaded)} of ${mb(p.total)} MB)`, false);
    });
    xhr.addEventListener("load", () => {
      const where = xhr.response && xhr.response.location;
      if (xhr.status === 200 && where) {
        bar.value = 100;
        say(form, `Uploaded ${f.name}.`, false);
        window.location.assign(where);
      } else if (xhr.status === 403) {
        fail("Your role cannot upload documents.");
      } else {
        fail("The upload failed; nothing was stored. Try again.");
      }
    });
    xhr.addEventListener("error", () =>
      fail("The connection broke during the upload; nothing was stored. Try again."),
    );
    xhr.send(new FormData(form));
  });
})();
