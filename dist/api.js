// @bun
import{e,c,s,a,P,i,b}from"./api-b0hjce99.js";function t(r){let n=r.config;if(n===void 0||n.disabled||n.signals==="off")return"off";if(c(n.signals,Bun.version,process.platform).suspend.length===0)return"not needed";return r.wrapped.length>0?"wrap":"restore"}function m(r={}){return b({...r,by:r.by??"api"}),o()}function g(){return i(s(),"asherah-bun-preload/api warmup()"),o()}function d(r){return{...r,repaired:[...r.repaired],records:r.records.map((n)=>({...n,repaired:[...n.repaired]}))}}function o(){let r=s();if(r.core!==void 0)a(r,r.core,!1),P(r,r.core,!0);return structuredClone({phase:r.phase,bunVersion:Bun.version,config:r.config,error:r.error,installedBy:r.installedBy,warmup:r.warmup,core:r.corePath,nativeUnavailable:r.native?.reason,snapshotTainted:r.snapshotTainted,signals:{mechanism:t(r),wrapped:r.wrapped,wrapStats:r.wrapped.length>0&&r.core!==void 0?{...r.core.wrapStats()}:void 0},repairs:r.repairs,guarded:r.guarded,events:r.events,hooks:r.hooks,interpose:r.core===void 0?void 0:d(r.core.interposeStats()),dropped:r.dropped,timings:r.timings})}export{e as PreloadError,m as install,o as status,g as warmup};

function __abpRequireCold(){return import.meta.dir.startsWith("/$bunfs/")?require("./cold.js"):import.meta.require("./cold.js")}

//# debugId=34621179F8161AE864756E2164756E21
//# sourceMappingURL=api.js.map
