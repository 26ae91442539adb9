-- The read-aloud check (issue 16): the transcribe-reading edge function sends a member's reading
-- to OpenAI's audio transcription API and counts each call against the daily AI quota under its
-- own feature name, 'transcribe_reading' (consume_ai_quota / refund_ai_quota, as the other AI
-- functions). ai_usage.feature is a closed list, so the new name is added to its check.
alter table public.ai_usage drop constraint ai_usage_feature_check;
alter table public.ai_usage add constraint ai_usage_feature_check
  check (feature in ('generate_affirmations', 'suggest_actions', 'analyze_progress', 'transcribe_reading'));
