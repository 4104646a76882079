// ONNX Runtime session creation: execution provider policy, threads, optimisation level.
//
// CUDA is opt-in. When it is asked for but cannot be used (no CUDA build of onnxruntime-node, no
// driver, no device), the policy decides: `fail` refuses to start, `cpu` falls back to the CPU
// provider and says so — in the log, in the model-info metric and in /health/ready's body.
import * as ort from 'onnxruntime-node';
import { GlinerError } from '../errors.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export type CudaFallback = 'fail' | 'cpu';
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionSettings {
  readonly executionProvider: ExecutionProvider;
  readonly cudaFallback: CudaFallback;
  /** Threads inside one operator; 0 lets ONNX Runtime decide. */
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly graphOptimization: GraphOptimization;
  readonly cudaDeviceId: number;
  /** Let intra-op threads spin between work items (ORT's default); off by default here. */
  readonly intraOpSpinning: boolean;
  /** With spinning on: stop it at the end of every run(), so idle threads never spin between requests. */
  readonly forceSpinningStop?: boolean;
  /** Pack constant weights for the CPU kernels at load (ORT's default: on). Off: the kernels read the weights as stored. */
  readonly prepacking?: boolean;
  /** ONNX Runtime's CPU arena (default: on). Off: every tensor is malloc'ed and freed, so memory goes back after a large input. */
  readonly cpuArena?: boolean;
  /** ONNX Runtime's memory patterns (default: on): one block per input shape planned from the first run of that shape. */
  readonly memPattern?: boolean;
}

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  /** The provider actually in use. */
  readonly executionProvider: ExecutionProvider;
  /** Why CUDA was not used, when it was asked for and we fell back. */
  readonly fallbackReason?: string;
}

function options(settings: SessionSettings, provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
  const providers: ort.InferenceSession.ExecutionProviderConfig[] =
    provider === 'cuda' ? [{ name: 'cuda', deviceId: settings.cudaDeviceId }] : ['cpu'];
  return {
    executionProviders: providers,
    graphOptimizationLevel: settings.graphOptimization,
    executionMode: 'sequential',
    ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
    logSeverityLevel: 3,
    ...(settings.cpuArena === undefined ? {} : { enableCpuMemArena: settings.cpuArena }),
    ...(settings.memPattern === undefined ? {} : { enableMemPattern: settings.memPattern }),
    // Session config entries session.intra_op.allow_spinning and session.force_spinning_stop:
    // spinning threads would compete with the event loop thread for the cores on small machines, so
    // they spin, if at all, only inside a run().
    extra: {
      session: {
        intra_op: { allow_spinning: settings.intraOpSpinning ? '1' : '0' },
        ...(settings.forceSpinningStop === true ? { force_spinning_stop: '1' } : {}),
        ...(settings.prepacking === false ? { disable_prepacking: '1' } : {}),
      },
    },
  };
}

export async function openSession(onnxPath: string, settings: SessionSettings): Promise<OpenedSession> {
  if (settings.executionProvider === 'cuda') {
    try {
      const session = await ort.InferenceSession.create(onnxPath, options(settings, 'cuda'));
      return { session, executionProvider: 'cuda' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (settings.cudaFallback === 'fail') {
        throw new GlinerError('CUDA_UNAVAILABLE', `CUDA execution provider unavailable: ${reason}`, { cause: error });
      }
      const session = await ort.InferenceSession.create(onnxPath, options(settings, 'cpu'));
      return { session, executionProvider: 'cpu', fallbackReason: reason };
    }
  }
  const session = await ort.InferenceSession.create(onnxPath, options(settings, 'cpu'));
  return { session, executionProvider: 'cpu' };
}
