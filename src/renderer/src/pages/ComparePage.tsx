import { Placeholder } from '../components/Placeholder';

export function ComparePage() {
  return <Placeholder title="Compare" what="The float model and its quantized variants side by side." />;
}
