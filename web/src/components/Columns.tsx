import { makeStyles, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';

const useStyles = makeStyles({ number: { textAlign: 'right' } });

/** A table's header row: its column names, those in `numeric` aligned as the figures below them. */
export function Columns({ names, numeric = [] }: { names: readonly string[]; numeric?: readonly string[] }) {
  const styles = useStyles();
  return (
    <TableHeader>
      <TableRow>
        {names.map((name) => (
          <TableHeaderCell key={name} className={numeric.includes(name) ? styles.number : undefined}>
            {name}
          </TableHeaderCell>
        ))}
      </TableRow>
    </TableHeader>
  );
}
