/**
 * The catalog generator of the benches: N published courses, each a copy of the demo luring course
 * with its run and sessions under new ids, written in one statement per table. The catalog's
 * triggers record a change per course and per run, as approval and scheduling do. bench/catalog.ts
 * runs it on the shared server, bench/replica.ts on its own cluster.
 *
 * `query` runs one SQL text (several statements allowed) and answers its last result's first
 * column of the first row, as text ('' when none).
 */
export async function loadCatalogCopies(query: (sql: string) => Promise<string>, n: number): Promise<number> {
  const started = performance.now();
  const template = await query(
    `select c.id from courses c join runs r on r.course_id = c.id
      where c.status = 'PUBLISHED' and c.mode = 'LURING' and r.status = 'OPEN' order by c.id limit 1`,
  );
  const run = await query(
    `select id from runs where course_id = '${template}' and status = 'OPEN' order by id limit 1`,
  );
  if (!template || !run) throw new Error('the demo catalog has no published luring course with an open run');
  const id = (prefix: string) => `'${prefix}_01bench' || lpad(n::text, 19, '0')`;
  await query(
    `insert into courses
       select (jsonb_populate_record(null::courses, to_jsonb(c) || jsonb_build_object(
         'id', ${id('crs')}, 'external_id', null,
         'title', c.title || ' (angkatan ' || n || ')')) ).*
       from courses c, generate_series(1, ${n}) n where c.id = '${template}';
     insert into runs
       select (jsonb_populate_record(null::runs, to_jsonb(r) || jsonb_build_object(
         'id', ${id('run')}, 'course_id', ${id('crs')}, 'external_id', null, 'seats_taken', 0)) ).*
       from runs r, generate_series(1, ${n}) n where r.id = '${run}';
     insert into run_sessions
       select (jsonb_populate_record(null::run_sessions, to_jsonb(s) || jsonb_build_object('run_id', ${id('run')})) ).*
       from run_sessions s, generate_series(1, ${n}) n where s.run_id = '${run}';
     analyze courses; analyze runs; analyze run_sessions; analyze catalog_changes;`,
  );
  return (performance.now() - started) / 1000;
}
