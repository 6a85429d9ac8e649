/* Signing the commitment letter (入驻承诺书) through the local signing agent (bidtool agent,
   docs/agent.md): read the letter's exact bytes from the platform, list the agent's signing
   certificates, have the agent sign the bytes (detached), and POST the signature to the platform,
   which keeps it only when the certificate is bound to this party. The same flow as the binding
   page's certificate-agent.js, which is tied to one-time challenges. No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("commitment-signer");
  if (!root) { return; }
  var agentUrl = root.dataset.agent.replace(/\/+$/, "");
  var select = document.getElementById("certificate"), pin = document.getElementById("pin");
  var signButton = document.getElementById("sign-letter"), message = document.getElementById("commitment-message");
  var letter = null, csrf = null;

  function say(text, kind) { message.textContent = text; message.className = "flash flash-" + (kind || "info"); }
  function json(response) {
    return response.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      return {ok: response.ok, status: response.status, body: body};
    });
  }
  function refusal(r, fallback) {
    var e = r.body && r.body.error;
    return e && e.message ? e.message + " [" + e.code + "]" : fallback + " (HTTP " + r.status + ")";
  }
  function agent(path, body) {
    var options = body === undefined ? {method: "GET"} :
      {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
    return fetch(agentUrl + path, options).then(json, function () {
      throw new Error("无法连接本机签名助手（" + agentUrl + "）：它没有运行，或浏览器未允许本网站访问本机设备。");
    });
  }
  function platform(url, body) {
    var options = {credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(json);
  }
  function load() {
    say("正在读取承诺书和本机证书…");
    platform(root.dataset.letterUrl).then(function (r) {
      if (!r.ok) { throw new Error(refusal(r, "无法读取承诺书")); }
      letter = r.body;
      return platform(root.dataset.csrfUrl);
    }).then(function (r) {
      csrf = r.body.csrf_token;
      return agent("/v1/info");
    }).then(function (r) {
      if (!r.ok || !r.body || r.body.protocol_version !== 1) { throw new Error("签名助手的协议版本不受支持"); }
      return agent("/v1/certificates");
    }).then(function (r) {
      if (!r.ok) { throw new Error(refusal(r, "签名助手拒绝了请求")); }
      var usable = (r.body.certificates || []).filter(function (c) {
        var u = c.key_usage || [];
        return u.indexOf("digitalSignature") >= 0 || u.indexOf("nonRepudiation") >= 0;
      });
      select.textContent = "";
      usable.forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.id;
        option.textContent = (c.subject || c.id) + " · " + (c.key || c.key_algorithm) + " · 至 " + c.not_after.slice(0, 10);
        select.appendChild(option);
      });
      if (!usable.length) { throw new Error("没有找到可用于签名的证书：请插入 USB Key 后重试。"); }
      select.disabled = false; signButton.disabled = false;
      say("请选择已绑定到本单位的证书并输入 PIN。", "success");
    }).catch(function (e) { say(e.message, "error"); });
  }
  function sign() {
    if (!pin.value) { say("请输入 PIN 码", "error"); return; }
    signButton.disabled = true;
    say("正在签名…");
    agent("/v1/sign", {certificate: select.value, pin: pin.value, data: letter.text_base64}).then(function (r) {
      pin.value = "";
      if (!r.ok) { throw new Error("签名助手：" + refusal(r, "签名失败")); }
      return platform(root.dataset.submitUrl, {signature: r.body.signature});
    }).then(function (r) {
      if (!r.ok) { throw new Error(refusal(r, "平台拒绝了签名")); }
      say("入驻承诺书已签署。", "success");
      window.setTimeout(function () { window.location.reload(); }, 800);
    }).catch(function (e) { say(e.message, "error"); signButton.disabled = false; });
  }
  document.getElementById("load-certificates").addEventListener("click", load);
  signButton.addEventListener("click", sign);
}());
