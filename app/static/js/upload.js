/* The bid page's upload (docs/uploads.md): the envelope's SHA-256 computed in the page in slices
   (memory stays flat whatever the size), POST /api/v1/tenders/<id>/uploads, then PATCH chunks at
   Upload-Offset with a progress bar. A broken connection is retried: the page asks the platform
   where the upload stands (GET, Upload-Offset) and goes on from there; the upload's id is kept in
   localStorage, so choosing the same file again after closing the page resumes it too. Every
   request carries the session's CSRF token (X-CSRFToken), as agent-client.js's platform() does. */
(function () {
  "use strict";
  var panel = document.getElementById("upload-panel");
  if (!panel) { return; }
  var client = window.EbidClient("");
  var input = document.getElementById("bid-file");
  var button = document.getElementById("upload-button");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var result = document.getElementById("upload-result");
  var tenderId = panel.getAttribute("data-tender-id");
  var chunkSize = Math.min(parseInt(panel.getAttribute("data-max-chunk"), 10) || 4194304, 4194304);
  var HASH_SLICE = 4194304;
  var MAX_RETRIES = 8;
  var csrfToken = null;

  /* -- SHA-256, fed in slices (FIPS 180-4) ------------------------------------------------------- */
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  function Sha256() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Uint32Array(64);
    this.buf = new Uint8Array(64);
    this.bufLen = 0;
    this.length = 0;
  }
  Sha256.prototype.block = function (p, o) {
    var w = this.w, h = this.h, i, t1, t2, s0, s1;
    for (i = 0; i < 16; i++) {
      w[i] = (p[o + 4 * i] << 24) | (p[o + 4 * i + 1] << 16) | (p[o + 4 * i + 2] << 8) | p[o + 4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
      s0 = ((w[i - 15] >>> 7) | (w[i - 15] << 25)) ^ ((w[i - 15] >>> 18) | (w[i - 15] << 14)) ^ (w[i - 15] >>> 3);
      s1 = ((w[i - 2] >>> 17) | (w[i - 2] << 15)) ^ ((w[i - 2] >>> 19) | (w[i - 2] << 13)) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (i = 0; i < 64; i++) {
      s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  };
  Sha256.prototype.update = function (data) {
    var i = 0, n = data.length;
    this.length += n;
    if (this.bufLen) {
      var take = Math.min(64 - this.bufLen, n);
      this.buf.set(data.subarray(0, take), this.bufLen);
      this.bufLen += take;
      i = take;
      if (this.bufLen === 64) { this.block(this.buf, 0); this.bufLen = 0; }
    }
    for (; i + 64 <= n; i += 64) { this.block(data, i); }
    if (i < n) { this.buf.set(data.subarray(i), 0); this.bufLen = n - i; }
  };
  Sha256.prototype.hex = function () {
    var bits = this.length * 8;
    var pad = new Uint8Array((this.bufLen < 56 ? 64 : 128) - this.bufLen);
    pad[0] = 0x80;
    var hi = Math.floor(bits / 4294967296), lo = bits >>> 0, end = pad.length;
    pad[end - 8] = hi >>> 24; pad[end - 7] = hi >>> 16; pad[end - 6] = hi >>> 8; pad[end - 5] = hi;
    pad[end - 4] = lo >>> 24; pad[end - 3] = lo >>> 16; pad[end - 2] = lo >>> 8; pad[end - 1] = lo;
    this.length -= pad.length;     // update() counts the padding as data
    this.update(pad);
    var out = "";
    for (var i = 0; i < 8; i++) { out += ("00000000" + this.h[i].toString(16)).slice(-8); }
    return out;
  };

  /* -- talking to the platform ------------------------------------------------------------------- */
  function token() {
    if (csrfToken) { return Promise.resolve(csrfToken); }
    return fetch("/api/v1/csrf", {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (b) { csrfToken = b.csrf_token; return csrfToken; });
  }
  function send(method, path, body, headers) {
    return token().then(function (t) {
      var h = {"Accept": "application/json", "X-CSRFToken": t};
      Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
      return fetch(path, {method: method, credentials: "same-origin", headers: h, body: body});
    }).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return {ok: response.ok, status: response.status, body: parsed, headers: response.headers};
      });
    });
  }
  function code(r) { return r.body && r.body.error ? r.body.error.code : ""; }
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
  function mb(n) { return (n / 1048576).toFixed(1) + " MB"; }
  function beijing(iso) {               /* 2026-11-23 16:00:00.000（北京时间）: the deadline is kept to the millisecond */
    var t = new Date(new Date(iso).getTime() + 8 * 3600 * 1000), p = function (n, w) { return ("000" + n).slice(-(w || 2)); };
    return t.getUTCFullYear() + "-" + p(t.getUTCMonth() + 1) + "-" + p(t.getUTCDate()) + " " + p(t.getUTCHours()) + ":" +
      p(t.getUTCMinutes()) + ":" + p(t.getUTCSeconds()) + "." + p(t.getUTCMilliseconds(), 3) + "（北京时间）";
  }
  function storageKey(file) {
    return "ebid-upload:" + tenderId + ":" + file.name + ":" + file.size + ":" + file.lastModified;
  }
  function remember(file, upload) {
    try { localStorage.setItem(storageKey(file), JSON.stringify({url: upload.url, sha256: upload.sha256})); } catch (e) { /* private mode */ }
  }
  function forget(file) {
    try { localStorage.removeItem(storageKey(file)); } catch (e) { /* private mode */ }
  }
  function remembered(file) {
    try { return JSON.parse(localStorage.getItem(storageKey(file)) || "null"); } catch (e) { return null; }
  }
  function showProgress(done, total) {
    progress.hidden = false;
    progress.value = total ? Math.floor(done * 100 / total) : 0;
    client.say(status, "已上传 " + mb(done) + " / " + mb(total) + "（" + progress.value + "%）", "info");
  }

  async function hashFile(file) {
    var sha = new Sha256();
    for (var at = 0; at < file.size; at += HASH_SLICE) {
      var slice = new Uint8Array(await file.slice(at, at + HASH_SLICE).arrayBuffer());
      sha.update(slice);
      client.say(status, "正在计算文件摘要（SHA-256）… " + Math.floor(Math.min(at + HASH_SLICE, file.size) * 100 / file.size) + "%", "info");
    }
    return sha.hex();
  }

  /* The upload to continue: the one remembered for this file if the platform still takes it. */
  async function resumable(file) {
    var saved = remembered(file);
    if (!saved) { return null; }
    var r = await send("GET", saved.url);
    if (r.ok && r.body && r.body.state === "receiving" && r.body.size === file.size) { return r.body; }
    forget(file);
    return null;
  }

  async function where(upload) {
    var r = await send("GET", upload.url);
    if (!r.ok) { throw r; }
    return r.body.offset;
  }

  async function transfer(file, upload) {
    var offset = upload.offset, failures = 0;
    showProgress(offset, file.size);
    while (true) {
      var end = Math.min(offset + chunkSize, file.size);
      var r;
      try {
        r = await send("PATCH", upload.url, file.slice(offset, end),
                       {"Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"});
      } catch (networkError) {
        r = null;
      }
      if (r && r.ok) {
        failures = 0;
        offset = r.body.offset;
        showProgress(offset, file.size);
        if (r.body.bid) { return r.body; }
        continue;
      }
      if (r && (code(r) === "upload_offset_mismatch" || code(r) === "upload_chunk_incomplete")) {
        offset = r.body.error.details.offset;           // where the platform stands: go on from there
        continue;
      }
      var transient = !r || r.status === 503 || r.status === 502 || r.status === 504 || code(r) === "upload_busy";
      if (!transient || ++failures > MAX_RETRIES) { throw r || {status: 0}; }
      var wait = Math.min(30000, 1000 * Math.pow(2, failures - 1));
      client.say(status, "连接中断，" + Math.round(wait / 1000) + " 秒后从断点续传（第 " + failures + " 次）…", "warning");
      await sleep(wait);
      try { offset = await where(upload); } catch (e) { /* still down: the next PATCH says so */ }
    }
  }

  function showResult(answer, resumedFrom) {
    var bid = answer.bid;
    result.hidden = false;
    result.textContent = "";
    result.className = "upload-result flash flash-success";
    var p = document.createElement("p");
    p.innerHTML = "<strong>投标已提交。</strong>";
    p.appendChild(document.createTextNode(" 投标编号 " + bid.id + "，平台收到最后一个字节的时间 " + beijing(bid.received_at) + "。"));
    var link = document.createElement("a");
    link.href = bid.receipt_url;
    link.id = "receipt-download";
    link.textContent = "下载投标回执";
    var digest = document.createElement("p");
    digest.className = "muted";
    digest.textContent = "SHA-256 " + bid.sha256;
    result.appendChild(p);
    result.appendChild(link);
    result.appendChild(digest);
    (answer.warnings || []).forEach(function (w) {
      var warn = document.createElement("p");
      warn.className = "flash flash-warning";
      warn.textContent = w;
      result.appendChild(warn);
    });
    client.say(status, "上传完成" + (resumedFrom !== null ? "（从上次中断处 " + mb(resumedFrom) + " 续传）" : "") +
               "，平台已签发投标回执。", "success");
    refreshTable();
  }

  function refreshTable() {
    fetch(location.href, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#bids-table tbody");
      var table = document.querySelector("#bids-table tbody");
      if (fresh && table) { table.replaceWith(fresh); }
    });
  }

  async function upload() {
    var file = input.files[0];
    if (!file) { return; }
    button.disabled = true;
    input.disabled = true;
    result.hidden = true;
    try {
      var current = await resumable(file), resumedFrom = null;
      if (current) {
        resumedFrom = current.offset;
        client.say(status, "从上次中断处（" + mb(current.offset) + "）继续上传…", "info");
      } else {
        var sha256 = await hashFile(file);
        var r = await send("POST", "/api/v1/tenders/" + tenderId + "/uploads", JSON.stringify({size: file.size, sha256: sha256}),
                           {"Content-Type": "application/json"});
        if (!r.ok) { throw r; }
        current = r.body;
        remember(file, current);
      }
      var answer = await transfer(file, current);
      forget(file);
      showResult(answer, resumedFrom);
    } catch (failure) {
      if (failure && failure.body && failure.body.error && code(failure) !== "upload_busy") { forget(file); }
      client.say(status, client.errorText(failure && failure.body, "上传失败，请检查网络后重试 (the upload failed)"), "error");
      button.disabled = false;
    } finally {
      input.disabled = false;
    }
  }

  input.addEventListener("change", function () {
    button.disabled = !input.files.length;
    result.hidden = true;
    progress.hidden = true;
    status.textContent = "";
  });
  button.addEventListener("click", upload);
}());
