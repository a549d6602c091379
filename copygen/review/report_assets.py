"""The report page's stylesheet and script, inlined so the file stands alone.

No external scripts, fonts or images: the page must read offline, print, and
survive mail clients that drop JavaScript (the script only adds filtering).
"""

CSS = """
:root{--ink:#1f2430;--muted:#5f6b7a;--line:#e3e7ee;--bg:#f5f7fa;--card:#fff;--accent:#0b5cad}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 "Noto Sans CJK SC",
"Noto Sans SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
.wrap{max-width:1120px;margin:0 auto;padding:28px 28px 48px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:.2px}
h2{font-size:18px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:14px;margin:0 0 10px;color:var(--muted);font-weight:600;text-transform:none}
.meta{color:var(--muted);font-size:13px;margin:0}
.audit{margin-top:2px}.audit.ok{color:#2e7d32}.audit.bad{color:#c62828;font-weight:700}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:22px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.kpi .k{font-size:12.5px;color:var(--muted)}
.kpi .v{font-size:26px;font-weight:700;margin-top:2px;font-variant-numeric:tabular-nums}
.kpi .s{font-size:12px;color:var(--muted)}
.kpi.hero{border-top:4px solid #2e7d32}
.kpi.hero .v{color:#2e7d32;font-size:32px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px}
.chart{display:block;max-width:100%;height:auto}
.chart .lbl{font-size:13px;fill:#3a4350}
.chart .val{font-size:13px;fill:#1f2430;font-weight:600}
.legend{margin-top:8px;font-size:12px;color:var(--muted)}
.chip{display:inline-block;margin-right:12px}
.chip i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;
vertical-align:-1px}
table.counts{width:100%;border-collapse:collapse;font-size:13.5px}
table.counts td,table.counts th{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left}
table.counts th{white-space:nowrap}
table.counts.small{font-size:12.5px;margin-top:10px}
table.counts.small td,table.counts.small th{padding:3px 6px}
table.counts td.n,table.counts th.n{text-align:right;font-variant-numeric:tabular-nums}
.filters{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:10px;align-items:center;
background:var(--bg);padding:10px 0;border-bottom:1px solid var(--line);margin-bottom:12px}
.filters select,.filters input{font:inherit;font-size:13.5px;padding:5px 8px;border:1px solid
#c9d1dc;border-radius:6px;background:#fff}
.filters input{flex:1;min-width:200px}
.filters .count{color:var(--muted);font-size:13px}
.item{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px;
margin:0 0 12px;break-inside:avoid}
.item header{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:8px}
.badge{font-size:12px;font-weight:600;color:#fff;border-radius:999px;padding:2px 10px}
.st-pass{background:#2e7d32}.st-approved{background:#00897b}.st-review{background:#e08e0b}
.st-blocked{background:#c62828}.st-rejected{background:#6a1b9a}.st-error{background:#757575}
.iid{font-size:12.5px;color:var(--muted)}
.ptitle{font-weight:600}
.fld{display:flex;gap:12px;padding:3px 0}
.fname{flex:0 0 120px;color:var(--muted);font-size:12.5px;font-family:ui-monospace,Menlo,
Consolas,monospace;padding-top:2px}
.ftext{flex:1;white-space:pre-wrap;word-break:break-word}
.lst{margin:0;padding:0 0 0 0;list-style:none;white-space:normal}
.lst li{white-space:pre-wrap;padding:1px 0 1px 14px;position:relative}
.lst li::before{content:"";position:absolute;left:2px;top:.72em;width:5px;height:5px;
border-radius:50%;background:#9aa5b4}
.tag{display:inline-block;margin:0 6px 2px 0;padding:0 8px;border-radius:999px;background:#eef2f7;
color:#33507a;font-size:13px}
mark{border-radius:2px;padding:0;color:inherit;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
mark.sev-block{background:#ffd6d6;border-bottom:2px solid #c62828}
mark.sev-warn{background:#ffeab0;border-bottom:2px solid #e08e0b}
mark.sev-info{background:#dcebff;border-bottom:2px solid #1e88e5}
table.findings{width:100%;border-collapse:collapse;font-size:12.5px;margin-top:10px}
table.findings th{background:#f0f3f7;color:#3a4350;font-weight:600}
table.findings td,table.findings th{border:1px solid var(--line);padding:4px 7px;text-align:left;
vertical-align:top}
table.findings td:nth-child(-n+4){white-space:nowrap}
.sev{font-weight:700;font-size:11.5px;text-transform:uppercase}
.sev.sev-block{color:#c62828}.sev.sev-warn{color:#b26a00}.sev.sev-info{color:#1e88e5}
.review{font-size:13px;color:#3a4350;margin:8px 0 0}
.errors li{margin:4px 0;font-size:13.5px}
.empty{color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media (max-width:760px){.kpis{grid-template-columns:repeat(2,1fr)}.grid{grid-template-columns:1fr}}
@media print{
body{background:#fff;font-size:12px}.wrap{max-width:none;padding:0}
.filters{display:none!important}
.kpi,.panel,.item{border-color:#bbb}
.item,.panel,.kpi{break-inside:avoid;page-break-inside:avoid}
h2{break-after:avoid;page-break-after:avoid}
.badge,.chip i,.chart rect{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""

# Adds the filter bar. Without it (mail clients, print) every item simply shows. The
# filters can be preset in the address (report.html#status=blocked&platform=social&q=最)
# and follow the selection, so a filtered view can be shared as a link. A link is
# typed, pasted and cut short by people and mail clients: a malformed %-escape
# (#q=%E0%A4%A, #q=100%) is taken as plain text instead of stopping the script, and
# only the four known keys are read.
JS = """
(function(){
var bar=document.getElementById('filters');if(!bar)return;
var items=[].slice.call(document.querySelectorAll('article.item'));
if(!items.length)return;bar.hidden=false;
var st=document.getElementById('f-status'),pf=document.getElementById('f-platform'),
ct=document.getElementById('f-category'),q=document.getElementById('f-text'),
n=document.getElementById('f-count');
var keys={status:st,platform:pf,category:ct,q:q};
function dec(s){s=s.replace(/[+]/g,' ');try{return decodeURIComponent(s);}catch(e){return s;}}
location.hash.replace(/^#/,'').split('&').forEach(function(kv){var i=kv.indexOf('=');
if(i<0)return;var k=dec(kv.slice(0,i)),v=dec(kv.slice(i+1));
if(Object.prototype.hasOwnProperty.call(keys,k))keys[k].value=v;});
function apply(){var s=st.value,p=pf.value,c=ct.value,t=q.value.trim().toLowerCase(),shown=0;
items.forEach(function(el){var ok=(!s||el.dataset.status===s)&&(!p||el.dataset.platform===p)&&
(!c||(' '+el.dataset.categories+' ').indexOf(' '+c+' ')>=0)&&
(!t||el.textContent.toLowerCase().indexOf(t)>=0);el.hidden=!ok;if(ok)shown++;});
n.textContent=shown+' / '+items.length;
var h=[];for(var k in keys){if(keys[k].value)h.push(k+'='+encodeURIComponent(keys[k].value));}
try{history.replaceState(null,'',h.length?'#'+h.join('&'):location.pathname);}catch(e){}}
[st,pf,ct].forEach(function(x){x.addEventListener('change',apply);});
q.addEventListener('input',apply);apply();
})();
"""
