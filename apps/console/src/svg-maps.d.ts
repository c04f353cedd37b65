/** @svg-maps/indonesia ships its map as an untyped ES module: one SVG path per province. */
declare module '@svg-maps/indonesia' {
  const map: {
    label: string;
    viewBox: string;
    locations: { id: string; name: string; path: string }[];
  };
  export default map;
}
