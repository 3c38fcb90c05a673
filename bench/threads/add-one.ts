// W12's job, for piscina's threads and corio's: the smallest useful call.
export default function addOne(n: number): number {
  return n + 1;
}
