// @bun
import{toPreloadError,describeError,exitOnStartFailure,loadedCoreProblem2,recordEvent,signalsFailed2,warnTainted2,warnUnreportedWarmupFailure2,guardedDlopen2,guardedFfiDlopen2,registerPlugin2,install2}from"./api-ah8cbcg0.js";function startGeneral(){try{install2({by:"preload"})}catch(error){exitOnStartFailure(error)}}function failStart(state,error){let failure=toPreloadError(error);state.phase="failed",state.error=describeError(failure),recordEvent(state,"install-failed",`${failure.code}: ${state.error}`),exitOnStartFailure(failure)}export{failStart,guardedDlopen2 as guardedDlopen,guardedFfiDlopen2 as guardedFfiDlopen,loadedCoreProblem2 as loadedCoreProblem,registerPlugin2 as registerPlugin,signalsFailed2 as signalsFailed,startGeneral,warnTainted2 as warnTainted,warnUnreportedWarmupFailure2 as warnUnreportedWarmupFailure};

//# debugId=69D68A3F017A833764756E2164756E21
//# sourceMappingURL=cold.js.map
