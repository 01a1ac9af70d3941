#!/usr/bin/perl
# retzien dead-man watch, run every day on a holder by its systemd timer: reads
# the status probe's answer about this host's own PBS (scripts/host/status-probe.sh,
# on stdin) and says, one line each, what has gone silent: a source whose newest
# copy here is too old, a pull that failed or has not ended for too long, a drill
# of a copy that failed or is overdue, a PBS that could not be read. A dead or
# stolen host sends nothing: the host that holds its copies is the one to notice.
#
#   watch-copies.pl --watch FILE [--probe-output FILE] [--results FILE]
#
# --probe-output is the probe's answer (default: stdin); --results, where this run
# is recorded for `npm run status` ({"at", "ok", "alarms"}, replaced whole), so
# that a watch that stopped running is seen too.
#
# The watch file (written by the program, tab-separated, one check a line):
#   datastore NAME
#   copy      NAMESPACE VMID LABEL MAX_AGE_HOURS
#   pull      JOB_ID SOURCE MAX_AGE_HOURS
#   drill     STORAGE VMID LABEL MAX_AGE_DAYS
#
# Exit 0 when all is well, 1 with an alarm (the unit's OnFailure mails the
# journal, which holds these lines), 2 on bad arguments or a bad watch file.
# Perl, because every Proxmox host has it (PVE is written in it) and JSON::PP
# is in its core: no jq or python3 is assumed.
use strict;
use warnings;
use JSON::PP ();

# A snapshot dated further than this after the host's clock is forged, or the clock is wrong (as `npm run status`).
my $FUTURE_TOLERANCE_SECONDS = 3600;

sub bad { print STDERR "watch-copies: $_[0]\n"; exit 2; }

my ($watch_file, $input, $results) = (undef, '-', undef);
while (@ARGV) {
  my $option = shift @ARGV;
  if ($option eq '--watch') { $watch_file = shift(@ARGV) // bad('--watch needs a file'); }
  elsif ($option eq '--probe-output') { $input = shift(@ARGV) // bad('--probe-output needs a file'); }
  elsif ($option eq '--results') { $results = shift(@ARGV) // bad('--results needs a file'); }
  else { bad("unknown option $option"); }
}
bad("--watch: found '" . ($watch_file // '') . "', expected a readable file") unless defined $watch_file && -r $watch_file;

my $number = qr/^[0-9]+(?:\.[0-9]+)?$/;
my (%checks, $datastore) = (copy => [], pull => [], drill => []);
open(my $wf, '<', $watch_file) or bad("--watch: cannot read $watch_file: $!");
while (my $line = <$wf>) {
  chomp $line;
  next if $line eq '';
  my ($kind, @f) = split /\t/, $line, -1;
  my $where = "$watch_file line $.";
  if ($kind eq 'datastore' && @f == 1 && $f[0] =~ /^[A-Za-z0-9_-]+$/) { $datastore = $f[0]; }
  elsif ($kind eq 'copy' && @f == 4 && $f[1] =~ /^[0-9]+$/ && $f[3] =~ $number) { push @{ $checks{copy} }, \@f; }
  elsif ($kind eq 'pull' && @f == 3 && $f[2] =~ $number) { push @{ $checks{pull} }, \@f; }
  elsif ($kind eq 'drill' && @f == 4 && $f[1] =~ /^[0-9]+$/ && $f[3] =~ $number) { push @{ $checks{drill} }, \@f; }
  else { bad("$where: found '$line', expected datastore NAME, copy NS VMID LABEL HOURS, pull JOB SOURCE HOURS or drill STORAGE VMID LABEL DAYS"); }
}
close $wf;
bad("$watch_file: no datastore line") unless defined $datastore;

my @alarms;

# This run, for `npm run status`: written whole through a temporary file, never half.
sub record {
  my ($at, $ok, $lines) = @_;
  return unless defined $results;
  my $tmp = "$results.tmp$$";
  open(my $fh, '>', $tmp) or die "watch-copies: cannot write $tmp: $!\n";
  print $fh JSON::PP->new->canonical->encode({ at => $at + 0, ok => $ok ? JSON::PP::true : JSON::PP::false, alarms => $lines }), "\n";
  close($fh) or die "watch-copies: cannot write $tmp: $!\n";
  rename($tmp, $results) or die "watch-copies: cannot replace $results: $!\n";
}

my $text = do {
  local $/;
  my $fh;
  if ($input eq '-') { $fh = \*STDIN; } else { open($fh, '<', $input) or bad("--probe-output: cannot read $input: $!"); }
  <$fh> // '';
};
my $doc = eval { JSON::PP->new->decode($text) };
if (ref $doc ne 'HASH' || !defined $doc->{now} || $doc->{now} !~ /^[0-9]+$/) {
  # Nothing can be judged: that is itself the alarm, never "all is well".
  my $alarm = 'the status probe gave no answer to judge (' . length($text) . ' bytes)';
  record(time, 0, [$alarm]);
  print "dead-man watch: ALARM: $alarm\n";
  exit 1;
}
my $now = $doc->{now};
my $responses = ref $doc->{responses} eq 'HASH' ? $doc->{responses} : {};
push @alarms, "this host's PBS could not be read: $_" for @{ ref $doc->{errors} eq 'ARRAY' ? $doc->{errors} : [] };

sub data_of {
  my ($path) = @_;
  my $answer = $responses->{$path};
  return ref $answer eq 'HASH' && ref $answer->{data} eq 'ARRAY' ? $answer->{data} : undef;
}
sub hours { return sprintf('%.1f', $_[0] / 3600); }
# An age over its limit, shown so that it reads as over it: 30.02 h, not 30.0 h against 30.
sub over { my ($seconds, $limit) = @_; my $shown = hours($seconds); return $shown > $limit ? $shown : sprintf('%.2f', $seconds / 3600); }
sub iso { my @t = gmtime($_[0]); return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]); }

for my $c (@{ $checks{copy} }) {
  my ($ns, $vmid, $label, $max) = @$c;
  my $list = data_of("/admin/datastore/$datastore/snapshots?ns=$ns");
  if (!defined $list) { push @alarms, "$label: its copies here could not be listed"; next; }
  my @mine = grep { ($_->{'backup-type'} // '') eq 'ct' && ($_->{'backup-id'} // '') eq $vmid && ($_->{'backup-time'} // '') =~ /^[0-9]+$/ } @$list;
  my @sane;
  for my $s (@mine) {
    if ($s->{'backup-time'} > $now + $FUTURE_TOLERANCE_SECONDS) {
      push @alarms, "$label: a copy dated " . iso($s->{'backup-time'}) . ', ' . hours($s->{'backup-time'} - $now) . " h after this host's clock (forged, or a wrong clock: never restore it)";
    } else {
      push @sane, $s->{'backup-time'};
    }
  }
  if (!@sane) { push @alarms, "$label: no copy here (never pulled, or all pruned)"; next; }
  my ($newest) = sort { $b <=> $a } @sane;
  my $age = $now - $newest;
  push @alarms, "$label: newest copy here is " . over($age, $max) . " h old (limit $max h): has its site stopped backing up, or its pull stopped?" if $age > $max * 3600;
}

my $syncs = data_of('/admin/sync');
for my $p (@{ $checks{pull} }) {
  my ($id, $source, $max) = @$p;
  if (!defined $syncs) { push @alarms, "the pull of $source ($id): the pull jobs could not be listed"; next; }
  my ($job) = grep { ($_->{id} // '') eq $id } @$syncs;
  if (!defined $job) { push @alarms, "the pull of $source ($id) is not configured here"; next; }
  my ($state, $ended) = ($job->{'last-run-state'}, $job->{'last-run-endtime'});
  if (defined $state && $state ne 'OK') { push @alarms, "the last pull of $source ($id) ended: $state (is $source down, or unreachable?)"; }
  if (!defined $ended) {
    push @alarms, "the pull of $source ($id) has never ended" unless defined $job->{'last-run-upid'} && !defined $state;
  } elsif ($now - $ended > $max * 3600) {
    push @alarms, "the last pull of $source ($id) ended " . over($now - $ended, $max) . " h ago (limit $max h)";
  }
}

my $drills = ref $doc->{drills} eq 'HASH' && ref $doc->{drills}{drills} eq 'ARRAY' ? $doc->{drills}{drills} : [];
for my $d (@{ $checks{drill} }) {
  my ($storage, $vmid, $label, $max_days) = @$d;
  my ($last) = sort { $b->{at} <=> $a->{at} } grep { ($_->{storage} // '') eq $storage && ($_->{vmid} // '') eq $vmid && ($_->{at} // '') =~ /^[0-9]+$/ } @$drills;
  if (!defined $last) { push @alarms, "$label: never drilled here (no restore of its copy proven yet)"; next; }
  push @alarms, "$label: the restore drill of " . iso($last->{at}) . ' FAILED: ' . ($last->{reason} // '') unless $last->{ok};
  my $days = ($now - $last->{at}) / 86400;
  push @alarms, "$label: last restore drill " . sprintf('%.1f', $days) . " days ago (limit $max_days): is its timer running?" if $days > $max_days;
}

my $checked = sprintf('%d copies, %d pulls, %d drills checked', scalar @{ $checks{copy} }, scalar @{ $checks{pull} }, scalar @{ $checks{drill} });
record($now, !@alarms, \@alarms);
if (!@alarms) { print "dead-man watch: all well ($checked)\n"; exit 0; }
print "dead-man watch: ALARM: $_\n" for @alarms;
print 'dead-man watch: ' . scalar(@alarms) . " alarm(s) ($checked)\n";
exit 1;
