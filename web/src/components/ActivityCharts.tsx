import { makeStyles, tokens } from '@fluentui/react-components';
import { CategoryScale, Chart, LinearScale, LineElement, PointElement, Tooltip, Legend, Title } from 'chart.js';
import { Line } from 'react-chartjs-2';
import type { Schemas } from '../api/client';
import { percent } from '../labels';

Chart.register(CategoryScale, LinearScale, PointElement, LineElement, Tooltip, Legend, Title);

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(280px, 1fr))', gap: tokens.spacingHorizontalL },
  chart: { backgroundColor: tokens.colorNeutralBackground1, padding: tokens.spacingHorizontalM, borderRadius: tokens.borderRadiusMedium },
});

type Day = Schemas['ActivityReport']['days'][number];

const SERIES: { key: 'impressions' | 'clicks' | 'clickThroughRate'; label: string; rate?: true }[] = [
  { key: 'impressions', label: 'Seen' },
  { key: 'clicks', label: 'Clicks' },
  { key: 'clickThroughRate', label: 'Click-through rate', rate: true },
];

/**
 * Seen, clicks and click-through rate per day. Each chart's canvas is labelled with its figures, and the same
 * figures are in a table beside it, so a screen reader has them without the picture.
 */
export function ActivityCharts({ days }: { days: Day[] }) {
  const styles = useStyles();
  const color = getComputedStyle(document.body).getPropertyValue('color') || '#444';
  return (
    <div className={styles.grid}>
      {SERIES.map((s) => {
        const values = days.map((d) => (s.rate ? Math.round(d[s.key] * 1000) / 10 : d[s.key]));
        const total = s.rate ? percent(days.at(-1)?.[s.key] ?? 0) : values.reduce((a, b) => a + b, 0);
        return (
          <figure key={s.key} className={styles.chart} data-series={s.key}>
            <Line
              role="img"
              aria-label={`${s.label} per day: ${days.map((d, i) => `${d.date} ${values[i]}${s.rate ? '%' : ''}`).join(', ')}`}
              data={{
                labels: days.map((d) => d.date),
                datasets: [{ label: s.label, data: values, borderColor: '#0f6cbd', backgroundColor: '#0f6cbd' }],
              }}
              options={{
                animation: false,
                responsive: true,
                plugins: { legend: { display: false }, title: { display: true, text: s.label, color } },
                scales: { x: { ticks: { color } }, y: { beginAtZero: true, ticks: { color } } },
              }}
            />
            <figcaption>
              {s.label}: {total}
              {s.rate ? ' on the last day' : ' in all'}
            </figcaption>
          </figure>
        );
      })}
    </div>
  );
}
