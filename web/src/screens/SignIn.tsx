import { Button, Card, makeStyles, Text, tokens } from '@fluentui/react-components';
import type { Session } from '../auth/session';

const useStyles = makeStyles({
  main: { display: 'grid', placeItems: 'center', minHeight: '100vh' },
  card: { width: '360px', padding: tokens.spacingHorizontalXXL, gap: tokens.spacingVerticalL },
  title: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold, margin: 0 },
});

export function SignIn({ session }: { session: Session }) {
  const styles = useStyles();
  return (
    <main className={styles.main}>
      <Card className={styles.card}>
        <h1 className={styles.title}>Herald</h1>
        <Text>Write, approve and follow your organisation’s messages. Sign in with your work account.</Text>
        <Button appearance="primary" onClick={() => void session.signIn()}>
          Sign in
        </Button>
      </Card>
    </main>
  );
}
