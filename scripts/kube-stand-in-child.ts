/**
 * The Kubernetes API stand-in of the tests, run as a child process for the
 * Kubernetes benchmark, so that the controller measured does not share its
 * process (and its CPU time) with the API server. Started with `fork`: it
 * sends `{ url, kubeconfig }` once listening, answers `'count'` with the
 * requests it served (reads, writes, and each kind of request: `GET
 * deployments` a list, `GET deployments/<name>` a read of one) and its CPU
 * time and exits on `'stop'`.
 */
import { startKubeStandIn } from '../test/fakes/kube/server.js';

const kube = await startKubeStandIn({ deploymentReadsPerStage: 1, jobReadsToFinish: 1 });
process.on('message', (message) => {
  if (message === 'count') {
    const writes = kube.requests.filter((r) => r.method !== 'GET').length;
    const byKind: Record<string, number> = {};
    for (const r of kube.requests) {
      const kind = `${r.method} ${r.resource ?? r.path}${r.name ? '/<name>' : ''}`;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    const cpu = process.cpuUsage();
    process.send!({ requests: kube.requests.length, writes, byKind, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (message === 'stop') void kube.close().then(() => process.exit(0));
});
process.send!({ url: kube.url, kubeconfig: kube.kubeconfig({ context: 'bench' }) });
